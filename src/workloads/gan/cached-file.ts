import { open, readFile, rename, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { PbtError } from '../../engine/core/errors.js';

/**
 * A file that is expensive to produce (the GAN's score classifier) and that several worker
 * processes may need at the same moment: exactly one of them produces it, the others wait for it.
 *
 * - The producer holds `<file>.lock`, created with O_EXCL (one winner, also on NFS v3+), writes
 *   the bytes to a temp file and renames it into place: a reader never sees half a file.
 * - A waiter polls until the file appears. If the lock disappears without a file (the producer
 *   failed), the waiter tries to take the lock itself.
 * - A lock is stale when its owner process is gone (same host: `kill(pid, 0)`) or when it was not
 *   refreshed for `staleMs` (any host; the owner touches it every `staleMs / 4`). A stale lock is
 *   removed and the race starts again.
 */
export interface CachedFileOptions {
  /** Polling interval of a waiting process (default 1 s). */
  readonly pollMs?: number;
  /** A lock not refreshed for this long is stale (default 10 min). */
  readonly staleMs?: number;
  /** Give up waiting after this long (default: never). */
  readonly timeoutMs?: number;
  readonly log?: (message: string) => void;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/**
 * The path of `file`, after producing it with `produce` when it is missing. Returns whether this
 * call produced it (false: it existed or another process produced it).
 */
export async function ensureCachedFile(
  file: string,
  produce: () => Promise<Uint8Array>,
  o: CachedFileOptions = {},
): Promise<{ produced: boolean }> {
  const pollMs = o.pollMs ?? 1000;
  const staleMs = o.staleMs ?? 10 * 60_000;
  const lock = `${file}.lock`;
  const started = Date.now();
  let announced = false;
  await mkdir(dirname(file), { recursive: true });
  for (;;) {
    if (await exists(file)) return { produced: false };
    if (await tryLock(lock)) {
      try {
        // Someone may have finished between our check and our lock.
        if (await exists(file)) return { produced: false };
        await produceWithHeartbeat(file, lock, produce, staleMs);
        return { produced: true };
      } finally {
        await rm(lock, { force: true });
      }
    }
    if (await isStale(lock, staleMs)) {
      o.log?.(`${lock}: stale lock (owner gone or silent for ${staleMs / 1000} s), removing it`);
      await rm(lock, { force: true });
      continue;
    }
    if (!announced) {
      o.log?.(`${file} is being produced by ${await ownerText(lock)}: waiting for it`);
      announced = true;
    }
    if (o.timeoutMs !== undefined && Date.now() - started > o.timeoutMs) {
      throw new PbtError('TIMEOUT', `gave up waiting for ${file} after ${o.timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
  }
}

async function produceWithHeartbeat(
  file: string,
  lock: string,
  produce: () => Promise<Uint8Array>,
  staleMs: number,
): Promise<void> {
  // Fires whenever the producer yields to the event loop (training yields regularly).
  const beat = setInterval(
    () => {
      const now = new Date();
      utimes(lock, now, now).catch(() => undefined);
    },
    Math.max(10, staleMs / 4),
  );
  beat.unref();
  try {
    const bytes = await produce();
    const tmp = `${file}.${hostname()}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } finally {
    clearInterval(beat);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function tryLock(lock: string): Promise<boolean> {
  try {
    const handle = await open(lock, 'wx');
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    };
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readOwner(lock: string): Promise<LockOwner | null> {
  try {
    const parsed = JSON.parse(await readFile(lock, 'utf8')) as Partial<LockOwner>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string'
      ? (parsed as LockOwner)
      : null;
  } catch {
    // Missing, or created but not yet written: not stale by content.
    return null;
  }
}

async function ownerText(lock: string): Promise<string> {
  const owner = await readOwner(lock);
  return owner === null ? 'another process' : `process ${owner.pid} on ${owner.host}`;
}

async function isStale(lock: string, staleMs: number): Promise<boolean> {
  let mtime: number;
  try {
    mtime = (await stat(lock)).mtimeMs;
  } catch {
    return false; // gone already: the loop looks again
  }
  if (Date.now() - mtime > staleMs) return true;
  const owner = await readOwner(lock);
  return owner !== null && owner.host === hostname() && !processAlive(owner.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
