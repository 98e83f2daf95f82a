import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runCli, sleep, startCli, tempDir } from './helpers.js';

const BUDGET = 400;
const POPULATION = 8;

/** Pids of the `pbt worker` processes a `pbt run` forked. */
function workerPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => / worker --store /.test(line))
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('unreadable checkpoints with real worker processes (SQLite)', () => {
  it('a corrupted and a deleted checkpoint fail the ready points that read them; members recover (or fail after maxFailures, naming the cause) and the run finishes', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const ckptDir = path.join(dir, 'ckpt');
    const storeFlags = ['--store', `sqlite:${db}`];
    const { child, result } = startCli(
      [
        'run',
        'toy',
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
    // The two best members: a truncation exploit never replaces their checkpoint before they
    // load it, so both damaged files are certainly read.
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
    const lineage = await after.listLineage(id);
    await after.close();
    // Recovered members finish; a member that found only damaged checkpoints (its own, then a
    // donor's) maxFailures times in a row fails for good, naming the cause.
    const damaged = new RegExp(`${corrupted.slice(0, 12)}|${deleted.slice(0, 12)}`);
    for (const m of members) {
      if (m.status === 'failed') expect(m.failureReason).toMatch(damaged);
      else expect([m.status, m.step]).toEqual(['done', BUDGET]);
    }
    expect(members.filter((m) => m.status === 'done').length).toBeGreaterThanOrEqual(
      POPULATION / 2,
    );
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
    // Each recovered failure was followed by an exploit of a donor.
    for (const m of members.filter((x) => x.status === 'done')) {
      for (const f of failed.filter((r) => r.memberId === m.id)) {
        const recovery = lineage.find((e) => e.memberId === f.memberId && e.step === f.step);
        expect(recovery?.operations[0]).toBe('recovered from a failed ready point');
      }
    }

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
