import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const CHECKPOINT_SUFFIX = '.ckpt';
export const TEMP_SUFFIX = '.tmp';

/** sha256 of the bytes, lowercase hex: the key of a checkpoint. */
export function checkpointKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `<dir>/<key[0..2]>/<key>.ckpt`: where a store writing under `dir` keeps `key`. */
export function checkpointPath(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}${CHECKPOINT_SUFFIX}`);
}

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** The modules `putCheckpointSync` uses, passed in: it also runs as the source of a thread. */
export interface DurablePutModules {
  readonly fs: typeof import('node:fs');
  readonly crypto: typeof import('node:crypto');
  readonly path: typeof import('node:path');
}

/**
 * Store `bytes` under `dir` and return their key once the file is durable: a uniquely named temp
 * file in the target directory is written and fsynced, renamed over the final name, and the
 * directory is fsynced, so a reader (or a machine that crashed) sees either nothing or the
 * complete file. A key already stored intact is not written again; its mtime is refreshed
 * instead, because the caller is about to reference it and collection must treat it as new.
 *
 * One synchronous call that refers to nothing outside itself (no imports, no closures): the
 * checkpoint writer thread runs its source text (checkpoint-writer.ts), where blocking on fsync
 * costs the training on the main thread nothing. Keep the suffixes equal to the constants above
 * (a test checks the layout).
 */
export function putCheckpointSync(
  { fs, crypto, path }: DurablePutModules,
  dir: string,
  bytes: Uint8Array,
): string {
  const sha256 = (data: Uint8Array): string =>
    crypto.createHash('sha256').update(data).digest('hex');
  const missing = (err: unknown): boolean =>
    (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
  const key = sha256(bytes);
  const shard = path.join(dir, key.slice(0, 2));
  const file = path.join(shard, `${key}.ckpt`);
  let intact: boolean;
  try {
    intact = sha256(fs.readFileSync(file)) === key;
  } catch (err) {
    if (!missing(err)) throw err;
    intact = false;
  }
  if (intact) {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
      return key;
    } catch (err) {
      // Deleted by a concurrent collection between the two calls: write it again.
      if (!missing(err)) throw err;
    }
  }
  // Missing, or damaged (bit rot, a crash on a file system without atomic rename, a bad copy —
  // even one of the right size): write the correct bytes over it.
  fs.mkdirSync(shard, { recursive: true });
  const temp = path.join(
    shard,
    `${key}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const fd = fs.openSync(temp, 'wx');
    try {
      for (let off = 0; off < bytes.byteLength;) off += fs.writeSync(fd, bytes, off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  // Persist the rename itself; a platform that cannot open a directory skips this (the data
  // itself is already fsynced).
  let dirFd: number | undefined;
  try {
    dirFd = fs.openSync(shard, 'r');
    fs.fsyncSync(dirFd);
  } catch {
    // best effort, as above
  } finally {
    if (dirFd !== undefined) fs.closeSync(dirFd);
  }
  return key;
}
