import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { CheckpointCorruptError, NotFoundError, PbtError } from '../core/errors.js';

/** One fresh, empty store plus the backend-specific hooks the shared tests need. */
export interface CheckpointStoreHarness {
  readonly store: CheckpointStore;
  /** Change the stored bytes of `key` behind the store's back (flip a byte on disk, UPDATE a row). */
  corrupt(key: string): Promise<void>;
  /** Remove everything the harness created (directories, tables, connections). */
  dispose(): Promise<void>;
}

const HOUR = 3_600_000;

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (no Math.random, so a failure reproduces). */
function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * The contract of `CheckpointStore` (src/checkpoints/checkpoint-store.ts), run against every
 * implementation: call it from the implementation's test file with a harness factory.
 */
export function describeCheckpointStoreConformance(
  name: string,
  makeHarness: () => Promise<CheckpointStoreHarness>,
): void {
  describe(`CheckpointStore conformance: ${name}`, () => {
    let h: CheckpointStoreHarness;
    let store: CheckpointStore;

    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterEach(async () => {
      await store.close?.();
      await h.dispose();
    });

    it('round-trips bytes under their sha256 key', async () => {
      const bytes = patternBytes(10_000, 1);
      const key = await store.put(bytes);
      expect(key).toBe(sha256(bytes));
      expect(await store.has(key)).toBe(true);
      const back = await store.get(key);
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    });

    it('round-trips an empty checkpoint', async () => {
      const key = await store.put(new Uint8Array(0));
      expect(key).toBe(sha256(new Uint8Array(0)));
      expect((await store.get(key)).byteLength).toBe(0);
    });

    it('stores identical bytes once under one key, different bytes under different keys', async () => {
      const a1 = await store.put(bytesOf('same state'));
      const a2 = await store.put(bytesOf('same state'));
      const b = await store.put(bytesOf('other state'));
      expect(a2).toBe(a1);
      expect(b).not.toBe(a1);
      const listed = await store.list();
      expect(listed.map((c) => c.key).sort()).toEqual([a1, b].sort());
      expect(listed.find((c) => c.key === a1)?.bytes).toBe(bytesOf('same state').byteLength);
    });

    it('detects corrupted content on read', async () => {
      const key = await store.put(patternBytes(4096, 2));
      await h.corrupt(key);
      await expect(store.get(key)).rejects.toBeInstanceOf(CheckpointCorruptError);
    });

    it('a put of bytes whose stored copy is corrupt (same size) replaces the copy', async () => {
      const bytes = patternBytes(4096, 3);
      const key = await store.put(bytes);
      await h.corrupt(key);
      expect(await store.put(bytes)).toBe(key);
      expect(sha256(await store.get(key))).toBe(key);
    });

    it('reports a missing key as NotFoundError and has() false; deleting it is not an error', async () => {
      const missing = sha256(bytesOf('never stored'));
      expect(await store.has(missing)).toBe(false);
      await expect(store.get(missing)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete(missing)).resolves.toBeUndefined();
    });

    it('rejects malformed keys (no path traversal) with a PbtError', async () => {
      const bad = [
        '',
        'abc',
        '../../etc/passwd',
        `${'a'.repeat(62)}/.`,
        'A'.repeat(64),
        `${'0'.repeat(64)}x`,
      ];
      for (const key of bad) {
        await expect(store.get(key)).rejects.toBeInstanceOf(PbtError);
        await expect(store.has(key)).rejects.toBeInstanceOf(PbtError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(PbtError);
      }
    });

    it('deletes a checkpoint', async () => {
      const key = await store.put(bytesOf('to delete'));
      await store.delete(key);
      expect(await store.has(key)).toBe(false);
      await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.list()).toEqual([]);
    });

    it('lists every checkpoint with its size and a recent mtime', async () => {
      const before = Date.now();
      const keys: string[] = [];
      for (let i = 0; i < 5; i++) keys.push(await store.put(patternBytes(100 + i, 10 + i)));
      const listed = await store.list();
      expect(listed.map((c) => c.key).sort()).toEqual([...keys].sort());
      for (const c of listed) {
        expect(c.bytes).toBe(100 + keys.indexOf(c.key));
        expect(Number.isFinite(c.mtime)).toBe(true);
        // Clocks of a database server may differ a little from ours.
        expect(Math.abs(c.mtime - before)).toBeLessThan(60_000);
      }
    });

    it('gc keeps referenced and young checkpoints and deletes the other old ones', async () => {
      const refA = await store.put(patternBytes(300, 21));
      const refB = await store.put(patternBytes(200, 22));
      const orphan1 = await store.put(patternBytes(50, 23));
      const orphan2 = await store.put(patternBytes(70, 24));
      const referenced = new Set([refA, refB]);

      // Everything is younger than an hour: nothing goes.
      const young = await store.gc(referenced, HOUR, Date.now());
      expect(young.deleted).toBe(0);
      expect(young.kept).toBe(4);
      expect(await store.has(orphan1)).toBe(true);

      // Two hours later the unreferenced ones are old enough.
      const old = await store.gc(referenced, HOUR, Date.now() + 2 * HOUR);
      expect(old.deleted).toBe(2);
      expect(old.kept).toBe(2);
      expect(old.freedBytes).toBe(50 + 70);
      expect(await store.has(orphan1)).toBe(false);
      expect(await store.has(orphan2)).toBe(false);
      expect((await store.get(refA)).byteLength).toBe(300);
      expect((await store.get(refB)).byteLength).toBe(200);
      expect((await store.list()).map((c) => c.key).sort()).toEqual([refA, refB].sort());
    });

    it('concurrent puts of the same bytes store one intact copy, readers never see a partial one', async () => {
      const big = patternBytes(1 << 20, 31);
      const key = sha256(big);
      const others = [patternBytes(1000, 32), patternBytes(1000, 33)];
      const reads: Promise<'missing' | 'ok'>[] = [];
      const puts: Promise<string>[] = [];
      for (let i = 0; i < 8; i++) {
        puts.push(store.put(big));
        reads.push(
          store.get(key).then(
            (b) => {
              expect(Buffer.from(b).equals(Buffer.from(big))).toBe(true);
              return 'ok' as const;
            },
            (err: unknown) => {
              // Before the first put lands the key is simply absent, never corrupt.
              expect(err).toBeInstanceOf(NotFoundError);
              return 'missing' as const;
            },
          ),
        );
      }
      for (const o of others) puts.push(store.put(o));
      const keys = await Promise.all(puts);
      await Promise.all(reads);
      expect(new Set(keys.slice(0, 8))).toEqual(new Set([key]));
      const back = await store.get(key);
      expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
      const listed = await store.list();
      expect(listed).toHaveLength(3);
      expect(listed.find((c) => c.key === key)?.bytes).toBe(big.byteLength);
    });
  });
}
