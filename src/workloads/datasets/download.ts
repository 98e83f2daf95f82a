import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { DATASETS, type DatasetName, type OfficialFile } from './catalog.js';
import { DatasetChecksumError, DatasetDownloadError } from './errors.js';

/** The slice of `fetch` the downloader uses, so tests can pass a fake. */
export type FetchLike = (
  url: string,
) => Promise<Pick<Response, 'ok' | 'status' | 'statusText' | 'body'>>;

export interface DownloadOptions {
  readonly fetch?: FetchLike;
  readonly log?: (message: string) => void;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws DatasetChecksumError when `bytes` do not hash to `expected` (hex, any case). */
export function verifySha256(file: string, bytes: Uint8Array, expected: string): void {
  const actual = sha256Hex(bytes);
  if (actual !== expected.toLowerCase()) throw new DatasetChecksumError(file, expected, actual);
}

/** SHA-256 of a file, streamed (the CIFAR archive is 170 MB). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyFileSha256(path: string, expected: string): Promise<void> {
  const actual = await fileSha256(path);
  if (actual !== expected.toLowerCase()) throw new DatasetChecksumError(path, expected, actual);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Stream one URL into `target` via a `.part` file, checking the SHA-256 before the rename. */
async function fetchOne(
  url: string,
  file: OfficialFile,
  target: string,
  fetchImpl: FetchLike,
): Promise<void> {
  const part = `${target}.part`;
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new DatasetDownloadError(
      `${url}: ${error instanceof Error ? error.message : String(error)}${cause}`,
      { cause: error },
    );
  }
  if (!response.ok || response.body === null) {
    throw new DatasetDownloadError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const hash = createHash('sha256');
  const handle = await open(part, 'w');
  let size = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.byteLength;
      await handle.write(value);
    }
  } catch (error) {
    await handle.close();
    await rm(part, { force: true });
    throw new DatasetDownloadError(
      `${url}: interrupted after ${size} bytes: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  await handle.close();
  const actual = hash.digest('hex');
  if (actual !== file.sha256) {
    await rm(part, { force: true });
    throw new DatasetChecksumError(
      `${url} (${size} bytes, expected ${file.size})`,
      file.sha256,
      actual,
    );
  }
  await rename(part, target);
}

/**
 * Download official files into `dir`, trying each file's mirrors in order. A file already there
 * with the right SHA-256 is kept. Nothing unverified is left behind under the final name.
 */
export async function downloadFiles(
  files: readonly OfficialFile[],
  dir: string,
  options: DownloadOptions = {},
): Promise<string[]> {
  const fetchImpl = options.fetch ?? fetch;
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    const target = join(dir, file.fileName);
    if ((await exists(target)) && (await fileSha256(target)) === file.sha256) {
      options.log?.(`${target}: already present, checksum OK`);
      written.push(target);
      continue;
    }
    const failures: Error[] = [];
    for (const url of file.urls) {
      options.log?.(`downloading ${url} (${(file.size / 1e6).toFixed(1)} MB)`);
      try {
        await fetchOne(url, file, target, fetchImpl);
        failures.length = 0;
        break;
      } catch (error) {
        failures.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (failures.length > 0) {
      const first = failures[0];
      if (
        first instanceof DatasetChecksumError &&
        failures.every((f) => f instanceof DatasetChecksumError)
      ) {
        throw first;
      }
      throw new DatasetDownloadError(
        `could not download ${file.fileName}:\n${failures.map((f) => `  - ${f.message}`).join('\n')}\n` +
          `Download it by hand from ${file.urls[0] ?? '?'} (SHA-256 ${file.sha256}) and save it as ${target}.`,
        { cause: failures[0] },
      );
    }
    written.push(target);
  }
  return written;
}

/**
 * Fetch a data set's official files into `destDir` (Fashion-MNIST into `destDir/fashion-mnist/`,
 * the CIFAR-10 archive into `destDir/`), SHA-256 checked. Returns the folder the files are in.
 * Only used when the user asks for it (`download: true`, `--download`).
 */
export async function downloadDataset(
  name: DatasetName,
  destDir: string,
  options: DownloadOptions = {},
): Promise<string> {
  const info = DATASETS[name];
  if (info.officialFiles.length === 0) {
    throw new DatasetDownloadError(
      `${info.title} cannot be downloaded automatically:\n${info.howToGet.map((h) => `  - ${h}`).join('\n')}`,
    );
  }
  const dir = join(destDir, info.downloadSubdir);
  await downloadFiles(info.officialFiles, dir, options);
  return dir;
}
