import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCachedFile } from './cached-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbt-cached-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A producer that waits for `release` before returning its bytes, counting its calls. */
function slowProducer(bytes: Uint8Array): {
  produce: () => Promise<Uint8Array>;
  calls: () => number;
  release: () => void;
} {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    produce: async () => {
      calls++;
      await gate;
      return bytes;
    },
    calls: () => calls,
    release: () => release(),
  };
}

describe('ensureCachedFile', () => {
  it('produces a missing file once when two callers race; the other waits and uses it', async () => {
    const file = join(dir, 'sub', 'model.bin');
    const p = slowProducer(Uint8Array.of(1, 2, 3));
    const a = ensureCachedFile(file, p.produce, { pollMs: 5 });
    const b = ensureCachedFile(file, p.produce, { pollMs: 5 });
    // The producer runs only once its caller holds the lock.
    while (p.calls() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(existsSync(`${file}.lock`)).toBe(true);
    expect(existsSync(file)).toBe(false);
    p.release();
    const results = await Promise.all([a, b]);
    expect(p.calls()).toBe(1);
    expect(results.map((r) => r.produced).sort()).toEqual([false, true]);
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    // No lock or temp file is left behind.
    expect(await readdir(join(dir, 'sub'))).toEqual(['model.bin']);
  });

  it('does not call the producer when the file exists', async () => {
    const file = join(dir, 'model.bin');
    await writeFile(file, 'x');
    const p = slowProducer(Uint8Array.of(9));
    p.release();
    expect(await ensureCachedFile(file, p.produce)).toEqual({ produced: false });
    expect(p.calls()).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('takes over the lock of a dead process on this host', async () => {
    const file = join(dir, 'model.bin');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(`${file}.lock`, JSON.stringify({ pid: dead, host: hostname(), since: '' }));
    const p = slowProducer(Uint8Array.of(7));
    p.release();
    expect(await ensureCachedFile(file, p.produce, { pollMs: 5, timeoutMs: 5000 })).toEqual({
      produced: true,
    });
    expect([...(await readFile(file))]).toEqual([7]);
  });

  it('takes over a lock from another host that was not refreshed for staleMs', async () => {
    const file = join(dir, 'model.bin');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', since: '' }));
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    const p = slowProducer(Uint8Array.of(5));
    p.release();
    const r = await ensureCachedFile(file, p.produce, {
      pollMs: 5,
      staleMs: 30_000,
      timeoutMs: 5000,
    });
    expect(r.produced).toBe(true);
  });

  it('waits for a live lock from another host, and times out when nothing appears', async () => {
    const file = join(dir, 'model.bin');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', since: '' }));
    const p = slowProducer(Uint8Array.of(5));
    p.release();
    await expect(ensureCachedFile(file, p.produce, { pollMs: 5, timeoutMs: 60 })).rejects.toThrow(
      /gave up waiting/,
    );
    expect(p.calls()).toBe(0);
  });

  it('releases the lock when the producer fails, so a later call can produce', async () => {
    const file = join(dir, 'model.bin');
    await expect(
      ensureCachedFile(file, () => Promise.reject(new Error('no data'))),
    ).rejects.toThrow('no data');
    expect(existsSync(`${file}.lock`)).toBe(false);
    const r = await ensureCachedFile(file, () => Promise.resolve(Uint8Array.of(1)));
    expect(r.produced).toBe(true);
  });
});
