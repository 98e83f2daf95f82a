/**
 * Where member checkpoints live. Content-addressed: a checkpoint's key is the sha256 of its
 * bytes (hex), so identical states are stored once and every read can be verified.
 *
 * Contract (src/testing/checkpoint-store-conformance.ts):
 * - `put` is atomic: a reader sees either no checkpoint or the complete bytes, never a part.
 * - `get` verifies the hash and throws CheckpointCorruptError on mismatch, NotFoundError when absent.
 * - `gc` deletes only keys not in `referenced` and older than `minAgeMs` (a checkpoint just
 *   written may not be referenced in the store yet).
 */
export interface CheckpointStore {
  put(bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Uint8Array>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(): Promise<CheckpointInfo[]>;
  gc(referenced: ReadonlySet<string>, minAgeMs: number, now: number): Promise<GcReport>;
  close?(): Promise<void>;
}

export interface CheckpointInfo {
  readonly key: string;
  readonly bytes: number;
  /** Last modification, ms since epoch. */
  readonly mtime: number;
}

export interface GcReport {
  readonly deleted: number;
  readonly freedBytes: number;
  readonly kept: number;
}
