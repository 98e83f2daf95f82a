import { PbtError } from '../../engine/core/errors.js';

/** No copy of a data set was found in any of the places searched. */
export class DatasetNotFoundError extends PbtError {
  constructor(
    readonly dataset: string,
    readonly searched: readonly string[],
    message: string,
  ) {
    super('DATASET_NOT_FOUND', message);
  }
}

/** A data file exists but is not what its format promises (truncated, wrong magic, bad labels...). */
export class DatasetFormatError extends PbtError {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super('DATASET_FORMAT', `${file}: ${problem}`, options);
  }
}

/** Bytes do not match the SHA-256 published for that file. */
export class DatasetChecksumError extends PbtError {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'DATASET_CHECKSUM',
      `${file}: SHA-256 ${actual} does not match the expected ${expected}; ` +
        'the download is corrupt or not the official file. Delete it and download again.',
    );
  }
}

/** A download from the official site failed (offline, HTTP error, interrupted). */
export class DatasetDownloadError extends PbtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DATASET_DOWNLOAD', message, options);
  }
}
