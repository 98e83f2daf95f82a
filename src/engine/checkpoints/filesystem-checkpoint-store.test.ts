import {
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeCheckpointStoreConformance } from '../testing/checkpoint-store-conformance.js';
import { checkpointKey, FilesystemCheckpointStore } from './filesystem-checkpoint-store.js';

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pbt-ckpt-'));
}

describeCheckpointStoreConformance('filesystem', async () => {
  const root = await tempRoot();
  const store = new FilesystemCheckpointStore(join(root, 'store'));
  return {
    store,
    async corrupt(key) {
      // Flip one byte in place, keeping the size.
      const handle = await open(store.pathOf(key), 'r+');
      try {
        const one = Buffer.alloc(1);
        await handle.read(one, 0, 1, 100);
        one[0] = (one[0] ?? 0) ^ 0xff;
        await handle.write(one, 0, 1, 100);
      } finally {
        await handle.close();
      }
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FilesystemCheckpointStore on disk', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempRoot();
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates a missing root and lays files out as <root>/<key[0..2]>/<key>.ckpt', async () => {
    const dir = join(root, 'a', 'b', 'checkpoints');
    const store = new FilesystemCheckpointStore(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    const bytes = new TextEncoder().encode('weights');
    const key = await store.put(bytes);
    expect(key).toBe(checkpointKey(bytes));
    const expected = join(dir, key.slice(0, 2), `${key}.ckpt`);
    expect(store.pathOf(key)).toBe(expected);
    expect((await readFile(expected)).toString()).toBe('weights');
    // No temp file is left behind.
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.ckpt`]);
  });

  it('rewrites a damaged (truncated) file on the next put of the same bytes', async () => {
    const store = new FilesystemCheckpointStore(root);
    const bytes = new Uint8Array(5000).fill(7);
    const key = await store.put(bytes);
    await truncate(store.pathOf(key), 10);
    await expect(store.get(key)).rejects.toThrow(/corrupt/);
    await store.put(bytes);
    expect((await store.get(key)).byteLength).toBe(5000);
  });

  it('a put of bytes already stored refreshes the mtime so gc treats the key as new', async () => {
    const store = new FilesystemCheckpointStore(root);
    const key = await store.put(new Uint8Array([1, 2, 3]));
    const longAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(store.pathOf(key), longAgo, longAgo);
    await store.put(new Uint8Array([1, 2, 3]));
    const report = await store.gc(new Set(), 3_600_000, Date.now());
    expect(report.deleted).toBe(0);
    expect(await store.has(key)).toBe(true);
  });

  it('gc removes stale temp files of interrupted writes but not young ones, and ignores foreign files', async () => {
    const store = new FilesystemCheckpointStore(root);
    const key = await store.put(new Uint8Array([9, 9]));
    const shard = join(root, key.slice(0, 2));
    const staleTemp = join(shard, `${key}.123.abcdef.tmp`);
    const youngTemp = join(shard, `${key}.456.abcdef.tmp`);
    const foreign = join(shard, 'README.txt');
    await writeFile(staleTemp, Buffer.alloc(64));
    await writeFile(youngTemp, Buffer.alloc(32));
    await writeFile(foreign, 'not a checkpoint');
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(staleTemp, longAgo, longAgo);

    const report = await store.gc(new Set([key]), 3_600_000, Date.now());
    expect(report).toEqual({ deleted: 0, kept: 1, freedBytes: 64, tempFilesDeleted: 1 });
    expect((await readdir(shard)).sort()).toEqual(
      [`${key}.ckpt`, `${key}.456.abcdef.tmp`, 'README.txt'].sort(),
    );
    // Temp files are not checkpoints.
    expect((await store.list()).map((c) => c.key)).toEqual([key]);
  });

  it('two store instances on one root (two processes) share checkpoints', async () => {
    const a = new FilesystemCheckpointStore(root);
    const b = new FilesystemCheckpointStore(root);
    const key = await a.put(new TextEncoder().encode('shared'));
    expect(new TextDecoder().decode(await b.get(key))).toBe('shared');
  });

  it('a namespaced store writes and collects only in its namespace; it reads pre-namespace files and other namespaces but never deletes them', async () => {
    const legacy = new FilesystemCheckpointStore(root);
    const oldKey = await legacy.put(new TextEncoder().encode('written by an older pbt'));
    const a = new FilesystemCheckpointStore(root, { namespace: 'exp-a-0123456789abcdef' });
    const b = new FilesystemCheckpointStore(root, { namespace: 'exp-b-0123456789abcdef' });
    const aKey = await a.put(new TextEncoder().encode('a'));
    const bKey = await b.put(new TextEncoder().encode('b'));
    expect(a.pathOf(aKey)).toBe(
      join(root, 'exp-a-0123456789abcdef', aKey.slice(0, 2), `${aKey}.ckpt`),
    );
    expect(new TextDecoder().decode(await a.get(oldKey))).toBe('written by an older pbt');
    expect(new TextDecoder().decode(await a.get(bKey))).toBe('b');
    expect((await a.list()).map((c) => c.key)).toEqual([aKey]);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const path of [legacy.pathOf(oldKey), a.pathOf(aKey), b.pathOf(bKey)]) {
      await utimes(path, longAgo, longAgo);
    }
    // Nothing referenced, everything old: only a's own file goes.
    const report = await a.gc(new Set(), 3_600_000, Date.now());
    expect(report.deleted).toBe(1);
    expect(await a.has(aKey)).toBe(false);
    expect(await b.has(bKey)).toBe(true);
    expect(await legacy.has(oldKey)).toBe(true);
    expect(() => new FilesystemCheckpointStore(root, { namespace: '../escape' })).toThrow(
      /namespace/,
    );
  });
});
