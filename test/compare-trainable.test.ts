import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { REPO, runCli, tempDir } from './helpers.js';

const TINY_NODE = quote([
  process.execPath,
  '--import',
  'tsx',
  path.join(REPO, 'test', 'fixtures', 'trainables', 'tiny-node.ts'),
]);

describe('pbt compare on a trainable', () => {
  it('`pbt compare --command … --space …` runs every method × seed through the trainable and writes comparison.json', async () => {
    const dir = tempDir('pbt-compare-trainable-');
    writeFileSync(path.join(dir, 'space.yaml'), 'lr: { type: loguniform, min: 0.01, max: 0.3 }\n');
    // The rest of the experiment from a file: fixed's hyperparameters, and the folder where
    // `--import tsx` resolves (--command keeps the file's trainable.cwd).
    writeFileSync(
      path.join(dir, 'base.yaml'),
      `trainable: { cwd: ${JSON.stringify(REPO)} }\nfixed: { lr: 0.1 }\nready: { every: 5 }\n`,
    );
    const db = path.join(dir, 'pbt.db');
    const res = await runCli(
      [
        'compare',
        'base.yaml',
        '--command',
        TINY_NODE,
        '--space',
        'space.yaml',
        '--methods',
        'pbt,fixed',
        '--seeds',
        '2',
        '--population',
        '2',
        '--budget',
        '20',
        '--workers',
        '1',
        '--store',
        `sqlite:${db}`,
        '-o',
        'comparison.json',
      ],
      dir,
    );
    expect(res.code, res.stderr).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'comparison.json'), 'utf8')) as {
      id: string;
      task: string;
      methods: Record<
        string,
        {
          seeds: (number | null)[];
          totalSteps: number;
          runs: { validationScore: number; metrics: Record<string, number> | null }[];
        }
      >;
    };
    // Named after the script, not "undefined".
    expect(json.id).toMatch(/^compare-tiny-node-/);
    expect(json.task).toBe('tiny-node.ts');
    expect(Object.keys(json.methods)).toEqual(['pbt', 'fixed']);
    for (const m of Object.values(json.methods)) {
      expect(m.seeds.length).toBe(2);
      expect(m.seeds.every((s) => s !== null && Number.isFinite(s))).toBe(true);
      expect(m.totalSteps).toBe(40);
      // The picked member's other metrics come along (the trainable's theta: score = -(θ-3)²).
      for (const r of m.runs) {
        expect(r.metrics?.score).toBe(r.validationScore);
        expect(-(((r.metrics?.theta ?? NaN) - 3) ** 2)).toBeCloseTo(r.validationScore, 10);
      }
    }
    // Every run is an experiment of the trainable, finished at the budget.
    const store = new SqliteStore(db);
    try {
      const experiments = await store.listExperiments();
      expect(experiments.length).toBe(4);
      for (const e of experiments) {
        expect(e.status).toBe('done');
        const members = await store.listMembers(e.id);
        expect(members.map((m) => [m.status, m.step])).toEqual([
          ['done', 20],
          ['done', 20],
        ]);
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
