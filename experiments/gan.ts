/**
 * Section 4.2 of the report: PBT of a GAN's two learning rates against the fixed DCGAN setting
 * (2e-4 / 2e-4) and random search, at equal steps (population × budget).
 *
 *   node --import tsx experiments/gan.ts --population 4 --budget 200 --ready 50   # quick
 *   node --import tsx experiments/gan.ts                                          # report scale
 *
 * Trains (or loads) the cached score classifier first, so that the workers do not each train
 * it; then runs `pbt run gan --baselines fixed,random` through the real CLI (SQLite store,
 * filesystem checkpoints, local workers), which writes the HTML comparison report (score-vs-step
 * curves, learning-rate schedules, PBT vs baselines) under <out>/reports/, and writes
 * `pbt export` of every method (every score, lineage) as <out>/results-<experiment>.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCifar10 } from '../src/data/index.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { ensureScoreClassifier } from '../src/tasks/gan/ensure-classifier.js';
import { defaultClassifierPath } from '../src/tasks/gan/score-classifier.js';
import { initBackend } from '../src/tfjs/backend.js';

const { values } = parseArgs({
  options: {
    population: { type: 'string', default: '20' },
    budget: { type: 'string', default: '20000' },
    ready: { type: 'string', default: '250' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    baselines: { type: 'string', default: 'fixed,random' },
    classifierSteps: { type: 'string', default: '3000' },
    /** Extra task options, e.g. --set genFilters=16 (repeatable). */
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: 'results/gan' },
  },
});

const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
const classifierSteps = Number(values.classifierSteps);
const classifierPath = defaultClassifierPath(classifierSteps);

await initBackend('wasm');
await ensureScoreClassifier(() => loadCifar10(), {
  path: classifierPath,
  steps: classifierSteps,
  log: (m) => console.log(m),
});

const store = `sqlite:${path.join(out, 'pbt.db')}`;
const cli = (args: string[]): void => {
  console.log(`$ pbt ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['bin/pbt.js', ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`pbt ${args[0]} failed with status ${String(r.status)}`);
};
const sets = [
  `classifierSteps=${classifierSteps}`,
  `classifierPath=${classifierPath}`,
  ...values.set,
].flatMap((s) => ['--set', s]);

cli([
  'run',
  'gan',
  '--population',
  values.population,
  '--budget',
  values.budget,
  '--ready',
  values.ready,
  '--workers',
  values.workers,
  '--seed',
  values.seed,
  '--backend',
  'wasm',
  '--store',
  store,
  '--checkpoints',
  path.join(out, 'checkpoints'),
  '--group',
  'gan',
  ...(values.baselines === '' ? [] : ['--baselines', values.baselines]),
  ...sets,
]);
// `pbt run --baselines` already wrote the comparison report (PBT vs baselines) under
// <out>/reports/; export every method's results (each experiment in the store).
const db = new SqliteStore(path.join(out, 'pbt.db'));
const experiments = (await db.listExperiments()).filter((e) => e.task === 'gan');
await db.close();
for (const e of experiments) {
  cli(['export', e.id, '--store', store, '--out', path.join(out, `results-${e.id}.json`)]);
}
