/**
 * Share of a worker's time spent outside train/evaluate for the image-classification task
 * (Fashion-MNIST, the report's ready interval of 100 steps), on the real runtime: SQLite store,
 * filesystem checkpoints, one in-process worker, PBT with exploit/explore.
 *
 *   node --import tsx bench/overhead-image.ts [--population 10] [--budget 400] [--dataset fashion-mnist]
 *
 * With one worker and several members, the worker never finds the next member's state in memory,
 * so every ready point pays a full checkpoint load (read, hash check, decode, rebuild variables
 * and Adam state) on top of the save: the worst case. The data set is loaded before the worker
 * starts (once per process, shared by all members) and its load time is reported separately.
 * Writes results/bench/overhead-image.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FilesystemCheckpointStore } from '../src/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/experiment/create-experiment.js';
import { prepareExperiment } from '../src/experiment/prepare-experiment.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { loadImageSplits } from '../src/tasks/image-classification/image-data.js';
import { parseImageClassificationOptions } from '../src/tasks/image-classification/options.js';
import { runWorker, type ReadyPointTiming } from '../src/worker/worker.js';

const { values } = parseArgs({
  options: {
    population: { type: 'string', default: '10' },
    budget: { type: 'string', default: '400' },
    ready: { type: 'string', default: '100' },
    dataset: { type: 'string', default: 'fashion-mnist' },
  },
});
const population = Number(values.population);
const budget = Number(values.budget);
const ready = Number(values.ready);

const taskOptions = { dataset: values.dataset };
const options = parseImageClassificationOptions(taskOptions);
const loadStart = performance.now();
await loadImageSplits(options);
const dataLoadSeconds = (performance.now() - loadStart) / 1000;

const dir = mkdtempSync(path.join(tmpdir(), 'pbt-bench-overhead-image-'));
const prepared = await prepareExperiment({
  task: 'image-classification',
  taskOptions,
  population,
  budget: { steps: budget },
  ready: { every: ready },
});
const store = new SqliteStore(path.join(dir, 'pbt.db'));
const exp = await createExperiment(store, prepared);
const timings: ReadyPointTiming[] = [];
// Where the time outside train/evaluate goes: the task's create/load/save and the checkpoint
// store's get/put are timed by wrapping them; the rest is the store (claim, decide, record).
const spent = { create: 0, load: 0, save: 0, checkpointGet: 0, checkpointPut: 0 };
const timed =
  <A extends unknown[], R>(key: keyof typeof spent, f: (...a: A) => Promise<R>) =>
  async (...a: A): Promise<R> => {
    const t = performance.now();
    try {
      return await f(...a);
    } finally {
      spent[key] += (performance.now() - t) / 1000;
    }
  };
const task = prepared.task;
const timedTask: typeof task = {
  ...task,
  create: timed('create', task.create.bind(task)),
  load: timed('load', task.load.bind(task)),
  save: timed('save', task.save.bind(task)),
};
const checkpoints = new FilesystemCheckpointStore(path.join(dir, 'checkpoints'));
const timedCheckpoints = Object.assign(Object.create(checkpoints) as FilesystemCheckpointStore, {
  get: timed('checkpointGet', checkpoints.get.bind(checkpoints)),
  put: timed('checkpointPut', checkpoints.put.bind(checkpoints)),
});
const loadBefore = loadavg()[0] ?? 0;
const started = performance.now();
const summaryOfWorker = await runWorker({
  store,
  checkpoints: timedCheckpoints,
  experimentId: exp.id,
  config: prepared.config,
  task: timedTask,
  space: prepared.space,
  seed: exp.seed,
  onReadyPoint: (t) => timings.push(t),
});
const wallSeconds = (performance.now() - started) / 1000;
await store.close();
rmSync(dir, { recursive: true, force: true });

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const train = sum(timings.map((t) => t.trainSeconds));
const outside = sum(timings.map((t) => t.overheadSeconds));
// The first cycle of each member builds it (task.create: TensorFlow.js backend start-up and
// model initialisation), a one-off per member; the rest is the steady state.
const firstOf = new Set<number>();
const steady = timings.filter((t) => {
  if (firstOf.has(t.memberId)) return true;
  firstOf.add(t.memberId);
  return false;
});
const steadyTrain = sum(steady.map((t) => t.trainSeconds));
const steadyOutside = sum(steady.map((t) => t.overheadSeconds));
const sorted = steady.map((t) => t.overheadSeconds * 1000).sort((a, b) => a - b);
const q = (p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const r = (x: number, d = 5): number => Number(x.toFixed(d));

const summary = {
  bench: 'overhead-image',
  command: `node --import tsx bench/overhead-image.ts --population ${population} --budget ${budget} --ready ${ready} --dataset ${values.dataset}`,
  task: `image-classification, ${values.dataset}, batch ${options.batchSize}, validation ${options.validation} + ${options.testExamples} test images per ready point`,
  setting: `PBT, population ${population}, ${budget} steps per member, ready every ${ready} steps, 1 in-process worker (every ready point loads a checkpoint)`,
  loadAverage1mBefore: r(loadBefore, 2),
  loadAverage1mAfter: r(loadavg()[0] ?? 0, 2),
  dataLoadSeconds: r(dataLoadSeconds, 2),
  wallSeconds: r(wallSeconds, 2),
  readyPoints: timings.length,
  exploits: summaryOfWorker.exploits,
  all: {
    trainAndEvaluateSeconds: r(train, 3),
    outsideSeconds: r(outside, 3),
    fraction: r(outside / (train + outside)),
  },
  steadyState: {
    readyPoints: steady.length,
    trainAndEvaluateSeconds: r(steadyTrain, 3),
    outsideSeconds: r(steadyOutside, 3),
    fraction: r(steadyOutside / (steadyTrain + steadyOutside)),
    outsideMsP50: r(q(0.5), 1),
    outsideMsP90: r(q(0.9), 1),
    outsideMsMax: r(sorted.at(-1) ?? NaN, 1),
  },
  outsideBreakdownSeconds: {
    ...Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, r(v, 3)])),
    storeAndRest: r(outside - Object.values(spent).reduce((a, b) => a + b, 0), 3),
  },
  target: 0.03,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/overhead-image.json', `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
