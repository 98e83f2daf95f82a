import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runCli, tempDir } from './helpers.js';

/** Write an experiment file next to a fresh SQLite store and run it with two worker processes. */
async function runExperiment(
  config: Record<string, unknown>,
): Promise<{ code: number | null; stderr: string; dir: string }> {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'experiment.json'), JSON.stringify(config));
  const out = await runCli(['run', 'experiment.json', '--store', `sqlite:pbt.db`], dir);
  return { ...out, dir };
}

const base = { task: 'toy', population: 4, budget: { steps: 80 }, ready: { every: 4 }, workers: 2 };

describe('selection rules through `pbt run` (worker processes, SQLite file)', () => {
  it('EMA fitness with PB2 explore: every member finishes and PB2 chooses the new hyperparameters', async () => {
    const run = await runExperiment({
      ...base,
      exploit: { kind: 'truncation', fraction: 0.5 },
      fitness: { kind: 'ema', alpha: 0.3 },
      explore: { kind: 'pb2' },
    });
    expect(run.code, run.stderr).toBe(0);
    const store = new SqliteStore(path.join(run.dir, 'pbt.db'));
    try {
      const [exp] = await store.listExperiments();
      const members = await store.listMembers(exp?.id ?? '');
      expect(members.map((m) => [m.status, m.step])).toEqual(
        Array.from({ length: 4 }, () => ['done', 80]),
      );
      const lineage = await store.listLineage(exp?.id ?? '');
      expect(lineage.length).toBeGreaterThan(0);
      // Early exploits (< 4 observed intervals) perturb; later ones are PB2's.
      expect(lineage.some((e) => e.operations.some((o) => o.endsWith('(pb2 ucb)')))).toBe(true);
      for (const e of lineage) {
        for (const name of ['h0', 'h1']) {
          const v = Number(e.newHparams[name]);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  it('t-test selection copies only after two evaluations on each side', async () => {
    const run = await runExperiment({ ...base, exploit: { kind: 'ttest', window: 3 } });
    expect(run.code, run.stderr).toBe(0);
    const store = new SqliteStore(path.join(run.dir, 'pbt.db'));
    try {
      const [exp] = await store.listExperiments();
      const lineage = await store.listLineage(exp?.id ?? '');
      const results = await store.listResults(exp?.id ?? '');
      expect(lineage.length).toBeGreaterThan(0);
      for (const e of lineage) {
        const earlier = lineage.filter((o) => o.memberId === e.memberId && o.step < e.step);
        const since = Math.max(-1, ...earlier.map((o) => o.step));
        const own = results.filter(
          (r) => r.memberId === e.memberId && r.step > since && r.step <= e.step,
        );
        expect(own.length).toBeGreaterThanOrEqual(2);
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  it('rejects a bad selection config with exit code 2 and names the field', async () => {
    const run = await runExperiment({ ...base, fitness: { kind: 'median' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/fitness/);
  }, 60_000);
});
