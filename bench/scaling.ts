/**
 * Member-steps per second with 1 and 2 local worker processes on a CPU-bound task (the toy task
 * with a busy-loop step), measured side by side in one run through the real CLI.
 *
 *   node --import tsx bench/scaling.ts [--step-work 200000] [--budget 1500]
 *
 * Each step does a fixed amount of arithmetic (not a wall-clock wait), so the rate shows how
 * much CPU the workers really get.
 *
 * The rate is counted between the first and the last recorded result, so process start-up
 * (tsx, module loading) is not part of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';

const { values } = parseArgs({
  options: {
    'step-work': { type: 'string', default: '200000' },
    budget: { type: 'string', default: '1500' },
  },
});
const POPULATION = 4;

async function rate(
  workers: number,
): Promise<{ workers: number; memberSteps: number; seconds: number; stepsPerSecond: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbt-bench-scaling-'));
  const db = path.join(dir, 'pbt.db');
  execFileSync(
    process.execPath,
    [
      'bin/pbt.js',
      'run',
      'toy',
      '--workers',
      String(workers),
      '--population',
      String(POPULATION),
      '--budget',
      values.budget,
      '--ready',
      '50',
      '--set',
      `stepWork=${values['step-work']}`,
      '--store',
      `sqlite:${db}`,
      '--checkpoints',
      path.join(dir, 'ckpt'),
    ],
    { stdio: 'ignore' },
  );
  const store = new SqliteStore(db);
  const [exp] = await store.listExperiments();
  const results = exp ? await store.listResults(exp.id) : [];
  await store.close();
  const times = results.map((r) => r.time);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // Steps after the first result: the first result's own segment finished before `first`.
  const firstSegment = 50;
  const memberSteps = POPULATION * Number(values.budget) - firstSegment;
  const seconds = (last - first) / 1000;
  return {
    workers,
    memberSteps,
    seconds: Number(seconds.toFixed(3)),
    stepsPerSecond: Number((memberSteps / seconds).toFixed(1)),
  };
}

const loadBefore = loadavg()[0] ?? 0;
const one = await rate(1);
const two = await rate(2);
const summary = {
  command: `node --import tsx bench/scaling.ts --step-work ${values['step-work']} --budget ${values.budget}`,
  cores: availableParallelism(),
  loadAverage1mBefore: Number(loadBefore.toFixed(2)),
  loadAverage1mAfter: Number((loadavg()[0] ?? 0).toFixed(2)),
  oneWorker: one,
  twoWorkers: two,
  speedup: Number((two.stepsPerSecond / one.stepsPerSecond).toFixed(3)),
  target: 1.8,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/scaling.json', JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary, null, 2));
