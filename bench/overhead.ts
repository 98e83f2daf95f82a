/**
 * What a ready point costs outside training, on the real runtime (SQLite file + filesystem
 * checkpoints + one in-process worker), for the toy task with a 1 MB state.
 *
 *   node --import tsx bench/overhead.ts
 *
 * A: latency — ready every step, no training work: each cycle is claim, decide (exploit/explore in
 *    one store transaction), load of the member's checkpoint (a population of 4 with one worker
 *    never finds the state in memory), save + sha256 + atomic write of 1 MB, record, release.
 * B: share — a task whose step takes ~10 ms, ready every 100 steps (the report's setting):
 *    fraction of the worker's time spent outside train/evaluate.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runWorker, type ReadyPointTiming } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';

async function measure(raw: Record<string, unknown>): Promise<ReadyPointTiming[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbt-bench-overhead-'));
  const prepared = await prepareExperiment({ task: 'toy', ...raw }, builtInTaskRegistry());
  const store = new SqliteStore(path.join(dir, 'pbt.db'));
  const exp = await createExperiment(store, prepared);
  const timings: ReadyPointTiming[] = [];
  await runWorker({
    store,
    checkpoints: new FilesystemCheckpointStore(path.join(dir, 'checkpoints')),
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: exp.seed,
    onReadyPoint: (t) => timings.push(t),
  });
  await store.close();
  return timings;
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const ms = (s: number): number => Number((s * 1000).toFixed(3));

const MB = 1 << 20;
const loadBefore = loadavg()[0] ?? 0;
// A: 4 members × 150 ready points, warm-up of the first 20 cycles dropped.
const a = (
  await measure({
    population: 4,
    budget: { steps: 150 },
    ready: { every: 1 },
    taskOptions: { stateBytes: MB },
    initialHparams: [],
  })
).slice(20);
const overheads = a.map((t) => t.overheadSeconds);
// B: 2 members × 1,000 steps of ~10 ms, ready every 100 steps.
const b = await measure({
  population: 2,
  budget: { steps: 1000 },
  ready: { every: 100 },
  taskOptions: { stateBytes: MB, stepMs: 10 },
});
const train = b.reduce((s, t) => s + t.trainSeconds, 0);
const outside = b.reduce((s, t) => s + t.overheadSeconds, 0);

const summary = {
  command: 'node --import tsx bench/overhead.ts',
  loadAverage1mBefore: Number(loadBefore.toFixed(2)),
  loadAverage1mAfter: Number((loadavg()[0] ?? 0).toFixed(2)),
  readyPointCost: {
    stateBytes: MB,
    samples: overheads.length,
    p50Ms: ms(quantile(overheads, 0.5)),
    p90Ms: ms(quantile(overheads, 0.9)),
    p99Ms: ms(quantile(overheads, 0.99)),
    maxMs: ms(Math.max(...overheads)),
    targetP99Ms: 10,
  },
  overheadShare: {
    stepMs: 10,
    readyEverySteps: 100,
    readyPoints: b.length,
    trainSeconds: Number(train.toFixed(3)),
    outsideSeconds: Number(outside.toFixed(3)),
    fraction: Number((outside / (train + outside)).toFixed(5)),
    target: 0.02,
  },
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/overhead.json', JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary, null, 2));
