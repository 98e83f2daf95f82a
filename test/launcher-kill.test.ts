/**
 * The launcher (`pbt run`) is SIGKILLed mid-run while its worker processes live on (what an OOM
 * killer or a closed SSH session without job control does to one process). There is no head
 * node, so nothing is lost: the orphaned workers keep the members they hold, `pbt resume` adds
 * workers of its own, and the run finishes with every ready point recorded exactly once and no
 * worker process left behind.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import {
  expectEveryMemberDone,
  expectLineageConsistent,
  expectOneResultPerReadyPoint,
} from './fixtures/run-invariants.js';
import { isAlive, runCli, sleep, startCli, tempDir, workerPids } from './helpers.js';

const POPULATION = 4;
const BUDGET = 240;
const READY = 8;

describe('a SIGKILLed launcher on SQLite', () => {
  it('loses nothing: orphaned workers and `pbt resume` finish the run, one result per ready point', async () => {
    const dir = tempDir('pbt-launcher-kill-');
    const args = ['run', 'toy', '--population', String(POPULATION), '--budget', String(BUDGET)];
    const { child, result } = startCli(
      [...args, '--ready', String(READY), '--workers', '2', '--set', 'stepMs=10', '--seed', '4'],
      dir,
    );
    const db = path.join(dir, '.pbt', 'pbt.db');
    let orphans: number[] = [];
    for (let i = 0; i < 600 && orphans.length === 0; i++) {
      await sleep(100);
      if (!existsSync(db)) continue;
      const store = new SqliteStore(db);
      const [exp] = await store.listExperiments();
      const n = exp ? (await store.listResults(exp.id)).length : 0;
      await store.close();
      if (n >= 12) orphans = workerPids(child.pid ?? 0);
    }
    expect(orphans.length, 'the run never got going').toBeGreaterThan(0);
    child.kill('SIGKILL');
    await result;

    const store = new SqliteStore(db);
    const [exp] = await store.listExperiments();
    const id = exp?.id ?? '';
    const before = (await store.listResults(id)).length;
    await store.close();
    expect(before).toBeLessThan((POPULATION * BUDGET) / READY);

    const resumed = await runCli(['resume', id, '--workers', '2'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The orphans stop by themselves once nothing is left to claim.
    for (let i = 0; i < 300 && orphans.some(isAlive); i++) await sleep(100);
    expect(orphans.filter(isAlive)).toEqual([]);

    const after = new SqliteStore(db);
    try {
      expect((await after.getExperiment(id))?.status).toBe('done');
      const run = {
        members: await after.listMembers(id),
        results: await after.listResults(id),
        lineage: await after.listLineage(id),
      };
      expectEveryMemberDone(run, POPULATION, BUDGET);
      expectOneResultPerReadyPoint(run, BUDGET, READY);
      expectLineageConsistent(run, BUDGET, READY);
    } finally {
      await after.close();
    }
  }, 180_000);
});
