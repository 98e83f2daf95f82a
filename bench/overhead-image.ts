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
 * The measurement itself is bench/lib/worker-overhead.ts (shared with bench/overhead-nmt.ts).
 * Writes results/bench/overhead-image.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { measureWorkerOverhead } from './lib/worker-overhead.js';
import { loadImageSplits } from '../src/workloads/image-classification/image-data.js';
import { parseImageClassificationOptions } from '../src/workloads/image-classification/options.js';

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

const measured = await measureWorkerOverhead({
  task: 'image-classification',
  taskOptions,
  population,
  budget,
  ready,
});

const summary = {
  bench: 'overhead-image',
  command: `node --import tsx bench/overhead-image.ts --population ${population} --budget ${budget} --ready ${ready} --dataset ${values.dataset}`,
  task: `image-classification, ${values.dataset}, batch ${options.batchSize}, validation ${options.validation} + ${options.testExamples} test images per ready point`,
  setting: `PBT, population ${population}, ${budget} steps per member, ready every ${ready} steps, 1 in-process worker (every ready point loads a checkpoint)`,
  dataLoadSeconds: Number(dataLoadSeconds.toFixed(2)),
  ...measured,
  target: 0.03,
};
mkdirSync('results/bench', { recursive: true });
writeFileSync('results/bench/overhead-image.json', `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
