import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runCli, sleep, startCli, tempDir, workerPids } from './helpers.js';

const BUDGET = 400;
const POPULATION = 8;

describe('unreadable checkpoints with real worker processes (SQLite)', () => {
  // Random search (no exploit): every member must load its own checkpoint when the run resumes,
  // so both damaged files are certainly read. (Under PBT a member may exploit a donor before it
  // loads its own file; recovery from a donor is tested in src/engine/worker/worker.test.ts.)
  it('a corrupted and a deleted checkpoint fail the ready points that read them; those members stop naming the cause, the others finish, the run ends', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const ckptDir = path.join(dir, 'ckpt');
    const storeFlags = ['--store', `sqlite:${db}`];
    const { child, result } = startCli(
      [
        'run',
        'toy',
        '--method',
        'random',
        '--workers',
        '2',
        '--population',
        String(POPULATION),
        '--budget',
        String(BUDGET),
        '--lease',
        '1.5',
        '--set',
        'stepMs=5',
        ...storeFlags,
        '--checkpoints',
        ckptDir,
      ],
      dir,
    );
    for (let i = 0; i < 300; i++) {
      await sleep(100);
      if (!existsSync(db)) continue;
      const store = new SqliteStore(db);
      const [exp] = await store.listExperiments();
      const n = exp ? (await store.listResults(exp.id)).length : 0;
      await store.close();
      if (n >= 20) break;
    }
    // Stop the run so that the workers of the resumed run hold no state in memory and must read
    // the damaged files.
    for (const pid of [child.pid ?? 0, ...workerPids(child.pid ?? 0)]) process.kill(pid, 'SIGINT');
    expect((await result).code).toBe(130);

    const store = new SqliteStore(db);
    const [exp] = await store.listExperiments();
    const id = exp?.id ?? '';
    // The two best members (any two would do: nothing replaces a checkpoint before it is read).
    const before = (await store.listResults(id)).map((r) => `${r.memberId}@${r.step}`);
    const [m0, m1] = (await store.listMembers(id)).sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
    await store.close();
    const files = new FilesystemCheckpointStore(ckptDir);
    const corrupted = m0?.checkpoint ?? '';
    const deleted = m1?.checkpoint ?? '';
    expect(corrupted).not.toBe(deleted);
    const corruptedPath = (await files.locate(corrupted)) ?? '';
    const bytes = await readFile(corruptedPath);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(corruptedPath, bytes);
    await rm((await files.locate(deleted)) ?? '');

    // Before the fix the worker that loaded either file exited, the member stayed 'running'
    // under a dead lease and was re-claimed forever: bound the wait.
    const resumed = startCli(['resume', id, '--workers', '2', ...storeFlags], dir);
    const timer = setTimeout(() => resumed.child.kill('SIGKILL'), 150_000);
    const out = await resumed.result;
    clearTimeout(timer);
    expect(out.code).toBe(0);

    const after = new SqliteStore(db);
    expect((await after.getExperiment(id))?.status).toBe('done');
    const members = await after.listMembers(id);
    const results = await after.listResults(id);
    await after.close();
    // A baseline member whose state cannot be read stops (as a diverged one does), naming the
    // cause; every other member finishes.
    for (const m of members) {
      if (m.id === m0?.id || m.id === m1?.id) expect(m.status).toBe('failed');
      else expect([m.status, m.step]).toEqual(['done', BUDGET]);
    }
    // Nothing lost, nothing duplicated: one result per member and ready point.
    const keys = results.map((r) => `${r.memberId}@${r.step}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining(before));
    for (const m of members.filter((x) => x.status === 'done')) {
      expect(results.filter((r) => r.memberId === m.id)).toHaveLength(BUDGET / 4);
    }
    const failed = results.filter((r) => r.error !== null);
    expect(failed.some((r) => r.memberId === m0?.id && /corrupt/.test(r.error ?? ''))).toBe(true);
    expect(failed.some((r) => r.memberId === m1?.id && /not found/.test(r.error ?? ''))).toBe(true);
    const status = await runCli(['status', id, ...storeFlags], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/failed ready points?; latest:/);
    expect(status.stdout).toMatch(
      new RegExp(`member ${m0?.id} @\\d+: cannot load checkpoint .*corrupt`),
    );
    expect(status.stdout).toMatch(
      new RegExp(`member ${m1?.id} @\\d+: cannot load checkpoint .*not found`),
    );
  }, 300_000);
});
