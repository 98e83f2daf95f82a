import type { ErrorCode } from '../core/errors.js';

/** The exit statuses of `pbt` (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** A runtime failure: the store, a worker, a checkpoint, the task. */
  failure: 1,
  /** Bad input (config, flags, ids): nothing was changed; fix the input and run again. */
  badInput: 2,
  /** Stopped by Ctrl-C or SIGTERM: `pbt resume` continues. */
  stopped: 130,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** The one table from error code to exit status. */
const EXIT_STATUS_OF: Readonly<Record<ErrorCode, ExitStatus>> = {
  CONFIG: EXIT.badInput,
  NOT_FOUND: EXIT.badInput,
  ALREADY_DONE: EXIT.failure,
  EXISTS: EXIT.failure,
  LEASE_LOST: EXIT.failure,
  INVALID_DECISION: EXIT.failure,
  TIMEOUT: EXIT.failure,
  CONFLICT: EXIT.failure,
  STORE_UNAVAILABLE: EXIT.failure,
  SCHEMA_TOO_NEW: EXIT.failure,
  CORRUPT: EXIT.failure,
  INTERNAL: EXIT.failure,
  CHECKPOINT_CORRUPT: EXIT.failure,
  CHECKPOINT_FORMAT: EXIT.failure,
  CHECKPOINT_MISMATCH: EXIT.failure,
  CHECKPOINT_UNSUPPORTED: EXIT.failure,
  INVALID_CHECKPOINT_KEY: EXIT.failure,
  INVALID_CHECKPOINT_NAMESPACE: EXIT.failure,
  CHECKPOINT_WRITE: EXIT.failure,
  HPARAM: EXIT.failure,
  NON_FINITE: EXIT.failure,
  TRAIN: EXIT.failure,
  TRAINABLE: EXIT.failure,
  DATA: EXIT.failure,
  BACKEND_UNAVAILABLE: EXIT.failure,
  MLP_SHAPE: EXIT.failure,
  ENV_EPISODE_OVER: EXIT.failure,
  ENV_INVALID_ACTION: EXIT.failure,
  ENV_INVALID_OPTION: EXIT.failure,
  ENV_INVALID_SEED: EXIT.failure,
  ENV_NOT_RESET: EXIT.failure,
  DATASET_NOT_FOUND: EXIT.failure,
  DATASET_FORMAT: EXIT.failure,
  DATASET_CHECKSUM: EXIT.failure,
  DATASET_DOWNLOAD: EXIT.failure,
};

export function exitStatusOf(code: ErrorCode): ExitStatus {
  return EXIT_STATUS_OF[code];
}
