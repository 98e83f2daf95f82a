import { cpSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readExperiment } from '../src/engine/store/experiments.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { REPO, runCli, tempDir } from './helpers.js';

/** Made by main before issue 12 (see its README.md): 3 toy members stopped at step 20 of 60. */
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'main-f3dcc9f-store');
const ID = 'old-main-20261207-042317-2d8a';

describe('an experiment stored by the previous main', () => {
  it('resumes from its checkpoints to the end, and its best member evaluates on a split', async () => {
    const dir = tempDir('pbt-old-store-');
    cpSync(FIXTURE, dir, { recursive: true });
    const db = path.join(dir, 'pbt.db');
    // The experiment recorded the absolute paths of the machine that made it: point them here.
    const raw = new Database(db);
    raw
      .prepare(`UPDATE experiments SET config = json_set(config, '$.store', ?, '$.checkpoints', ?)`)
      .run(`sqlite:${db}`, path.join(dir, 'checkpoints'));
    raw.close();

    const store = new SqliteStore(db);
    const before = await store.listResults(ID);
    const experiment = await readExperiment(store, ID);
    await store.close();
    expect(experiment?.status).toBe('stopped');
    expect(experiment?.config.budget.steps).toBe(60);
    expect(
      before
        .map((r) => r.step)
        .sort((a, b) => a - b)
        .at(-1),
    ).toBe(20);

    const resumed = await runCli(['resume', ID, '--store', `sqlite:${db}`, '--workers', '1'], dir);
    expect(resumed.stderr).toMatch(/done in/);
    expect(resumed.code).toBe(0);

    const after = new SqliteStore(db);
    const members = await after.listMembers(ID);
    const results = await after.listResults(ID);
    expect((await after.getExperiment(ID))?.status).toBe('done');
    await after.close();
    expect(members.map((m) => [m.status, m.step])).toEqual([
      ['done', 60],
      ['done', 60],
      ['done', 60],
    ]);
    // Continued from step 20 (the old checkpoints loaded), not restarted: each member has one
    // result per ready point, the old ones kept as they were.
    for (const m of members) {
      const steps = results.filter((r) => r.memberId === m.id).map((r) => r.step);
      expect(steps).toEqual(Array.from({ length: 15 }, (_, i) => 4 * (i + 1)));
    }
    expect(results.filter((r) => r.step <= 20)).toEqual(before);

    const best = await runCli(['best', ID, '--store', `sqlite:${db}`, '--evaluate', 'test'], dir);
    expect(best.code).toBe(0);
    expect(best.stdout).toMatch(/on split test: score \d/);
    const bad = await runCli(['best', ID, '--store', `sqlite:${db}`, '--evaluate', 'nope'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no split "nope"; use one of validation, test/);
  }, 120_000);
});
