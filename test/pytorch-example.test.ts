import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/engine/store/open-store.js';
import { REPO, runCli, tempDir } from './helpers.js';

const TRAIN_PY = path.join(REPO, 'examples', 'pytorch-cifar10', 'train.py');

/** PBT_TEST_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH: the first with torch. */
function findTorchPython(): string | null {
  const candidates = [process.env.PBT_TEST_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return null;
}

const python = findTorchPython();

describe('examples/pytorch-cifar10/train.py through the protocol', () => {
  it.skipIf(python === null)(
    `the --synthetic CNN trains under PBT; exploits resample the dense width (resized weights)${python === null ? ' — SKIPPED: no python3 with torch and numpy (apt-get install python3-torch, or set PBT_TEST_PYTHON)' : ''}`,
    async () => {
      const dir = tempDir('pbt-pytorch-cnn-');
      // Two members, the worse one exploits the better at every ready point and resamples all
      // of its hyperparameters: the CNN's load + width change runs at most ready points.
      writeFileSync(
        path.join(dir, 'experiment.yaml'),
        [
          'trainable:',
          `  command: ${quote([python ?? 'python3', TRAIN_PY, '--model', 'cnn', '--synthetic'])}`,
          'space:',
          '  l1: { type: loguniform, min: 1.0e-8, max: 1.0e-5 }',
          '  lr: { type: loguniform, min: 1.0e-3, max: 1.0e-2 }',
          '  width: { type: int, min: 8, max: 64, log: true }',
          'population: 2',
          'budget: { steps: 16 }',
          'ready: { every: 4 }',
          'exploit: { kind: truncation, fraction: 0.5 }',
          'explore: { resampleProbability: 1 }',
          'seed: 3',
          '',
        ].join('\n'),
      );
      const res = await runCli(
        ['run', 'experiment.yaml', '--workers', '1', '--store', 'sqlite:pbt.db'],
        dir,
      );
      expect(res.code, res.stderr).toBe(0);
      const store = await openStore(`sqlite:${path.join(dir, 'pbt.db')}`);
      try {
        const [experiment] = await store.listExperiments();
        const id = experiment?.id ?? '';
        const members = await store.listMembers(id);
        expect(members.map((m) => [m.status, m.step])).toEqual([
          ['done', 16],
          ['done', 16],
        ]);
        const results = await store.listResults(id);
        expect(results.length).toBe(8);
        for (const r of results) {
          expect(r.error).toBeNull();
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(1);
          expect(r.metrics?.test_accuracy).toBeGreaterThanOrEqual(0);
        }
        const log = readFileSync(path.join(dir, '.pbt', 'logs', id, 'worker-0.log'), 'utf8');
        expect(log).toMatch(/synthetic data loaded .* model cnn/);
        // An exploit with a resampled width went through resized() without an error.
        const lineage = await store.listLineage(id);
        expect(lineage.some((e) => e.oldHparams.width !== e.newHparams.width)).toBe(true);
        expect(log).toMatch(/width \d+ -> \d+/);
      } finally {
        await store.close();
      }
    },
    180_000,
  );
});
