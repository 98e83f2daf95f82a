/**
 * Every error code pbt throws. Library users branch on these; the CLI maps each to an exit
 * status in one table (cli/exit-status.ts).
 */
export type ErrorCode =
  // bad input: config, flags, ids
  | 'CONFIG'
  | 'NOT_FOUND'
  | 'ALREADY_DONE'
  | 'EXISTS'
  // coordination
  | 'LEASE_LOST'
  | 'INVALID_DECISION'
  | 'TIMEOUT'
  | 'CONFLICT'
  | 'STORE_UNAVAILABLE'
  | 'SCHEMA_TOO_NEW'
  | 'CORRUPT'
  | 'INTERNAL'
  // checkpoints
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_FORMAT'
  | 'CHECKPOINT_MISMATCH'
  | 'CHECKPOINT_UNSUPPORTED'
  | 'INVALID_CHECKPOINT_KEY'
  | 'INVALID_CHECKPOINT_NAMESPACE'
  | 'CHECKPOINT_WRITE'
  // training and workloads
  | 'HPARAM'
  | 'NON_FINITE'
  | 'TRAIN'
  | 'TRAINABLE'
  | 'DATA'
  | 'BACKEND_UNAVAILABLE'
  | 'MLP_SHAPE'
  | 'ENV_EPISODE_OVER'
  | 'ENV_INVALID_ACTION'
  | 'ENV_INVALID_OPTION'
  | 'ENV_INVALID_SEED'
  | 'ENV_NOT_RESET'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_FORMAT'
  | 'DATASET_CHECKSUM'
  | 'DATASET_DOWNLOAD';

/** One root error with a stable `code`, so the CLI and library users can branch on it. */
export class PbtError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad user input (config, space, CLI flags). The CLI exits with code 2. */
export class ConfigError extends PbtError {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(
      'CONFIG',
      issues.length > 0 ? `${message}\n${issues.map((i) => `  - ${i}`).join('\n')}` : message,
    );
  }
}

/** A worker's lease on a member was taken by another worker (or expired): stop writing. */
export class LeaseLostError extends PbtError {
  constructor(
    readonly experimentId: string,
    readonly memberId: number,
  ) {
    super('LEASE_LOST', `lease on member ${memberId} of experiment ${experimentId} was lost`);
  }
}

export class NotFoundError extends PbtError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** A checkpoint's bytes do not match its content hash. */
export class CheckpointCorruptError extends PbtError {
  constructor(readonly key: string) {
    super(
      'CHECKPOINT_CORRUPT',
      `checkpoint ${key} is corrupt: its content does not match its hash`,
    );
  }
}

/**
 * A checkpoint could not be written (e.g. ENOSPC, EACCES). Nothing was recorded for the ready
 * point and the member was released, so no result is lost: fix the cause, then `pbt resume`.
 */
export class CheckpointWriteError extends PbtError {
  constructor(
    readonly memberId: number,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const hint =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'the checkpoint storage is full: free space (or move --checkpoints), then continue with `pbt resume`'
        : 'fix the checkpoint storage, then continue with `pbt resume`';
    super(
      'CHECKPOINT_WRITE',
      `cannot write the checkpoint of member ${memberId}: ${cause instanceof Error ? cause.message : String(cause)}; ${hint}`,
      { cause },
    );
  }
}
