/**
 * Share of a worker's time spent outside train/evaluate for the nmt task (issue 6): GRU
 * seq2seq with attention on the Europarl sample, on the real runtime (SQLite store, filesystem
 * checkpoints, one in-process worker, PBT with exploit/explore).
 *
 *   node --import tsx bench/overhead-nmt.ts [--population 4] [--budget 120] [--ready 30] [--set key=value ...]
 *
 * With one worker and several members every ready point pays a full checkpoint load (weights +
 * Adam moments, ~10 MB at the defaults) on top of the save: the worst case. The corpus is read
 * and the vocabularies are built before the worker starts; that time is reported separately.
 * Writes results/nmt/overhead.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureWorkerOverhead } from './lib/worker-overhead.js';
import { loadRawSplits, prepareNmtData } from '../src/workloads/nmt/nmt-data.js';
import { parseNmtOptions } from '../src/workloads/nmt/options.js';

const { values } = parseArgs({
  options: {
    population: { type: 'string', default: '4' },
    budget: { type: 'string', default: '120' },
    ready: { type: 'string', default: '30' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join('results', 'nmt', 'overhead.json') },
  },
});
const population = Number(values.population);
const budget = Number(values.budget);
const ready = Number(values.ready);
const taskOptions: Record<string, unknown> = {};
for (const kv of values.set) {
  const [k, v] = kv.split('=', 2) as [string, string | undefined];
  taskOptions[k] = v === undefined ? true : Number.isNaN(Number(v)) ? v : Number(v);
}
const options = parseNmtOptions(taskOptions);
const loadStart = performance.now();
const data = prepareNmtData(await loadRawSplits(options), options);
const dataLoadSeconds = (performance.now() - loadStart) / 1000;

const measured = await measureWorkerOverhead({
  task: 'nmt',
  taskOptions,
  population,
  budget,
  ready,
});

const summary = {
  bench: 'overhead-nmt',
  command: `node --import tsx bench/overhead-nmt.ts --population ${population} --budget ${budget} --ready ${ready}${values.set.map((s) => ` --set ${s}`).join('')}`,
  task: `nmt, Europarl en→de, ≤ ${options.maxLength} words per side (${data.train.length} training pairs), batch ${options.batchSize}, BLEU of ${data.valid.sources.length} validation sentences (beam ${options.beam}) per ready point`,
  setting: `PBT, population ${population}, ${budget} steps per member, ready every ${ready} steps, 1 in-process worker (every ready point loads a checkpoint)`,
  dataLoadSeconds: Number(dataLoadSeconds.toFixed(2)),
  ...measured,
};
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
