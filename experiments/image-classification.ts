/**
 * Section 4.1 of the report: an MLP with L1 regularisation, PBT against a fixed-hyperparameter
 * baseline and random search at an equal number of training steps (population × budget).
 *
 *   node --import tsx experiments/image-classification.ts --dataset fashion-mnist --budget 1500
 *
 * Each method runs through the real CLI (`node bin/pbt.js run image-classification ...`: a
 * SQLite store, filesystem checkpoints, local worker processes), then this script reads the
 * store, evaluates the best member of each method (chosen by validation accuracy) on the full
 * test set, and writes results/image-classification/<dataset>/summary.json and SVG plots.
 */
import { evaluateCheckpoint } from '../src/engine/tasks/evaluate-checkpoint.js';
import { hparamSteps, scheduleJson } from './lib/schedule-json.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMethodThroughCli, sumFinalSteps, type MethodRun } from './lib/run-method.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { bestMember, scheduleOf } from '../src/engine/core/schedule.js';
import { svgLineChart, type LineSeries } from '../src/engine/report/svg/line-chart.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import type { LineageEvent, ResultRecord } from '../src/engine/store/store.js';
import {
  IMAGE_CLASSIFICATION_FIXED,
  imageClassificationTaskDefinition,
} from '../src/workloads/image-classification/image-classification-task.js';
import { parseImageClassificationOptions } from '../src/workloads/image-classification/options.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'fashion-mnist' },
    budget: { type: 'string', default: '1500' },
    population: { type: 'string', default: '10' },
    ready: { type: 'string', default: '100' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'pbt,fixed,random,grid' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const DATASET = values.dataset;
if (DATASET !== 'fashion-mnist' && DATASET !== 'cifar10') {
  throw new Error(`--dataset must be fashion-mnist or cifar10, got ${DATASET}`);
}
const BUDGET = Number(values.budget);
const POPULATION = Number(values.population);
const READY = Number(values.ready);
const WORKERS = Number(values.workers);
const SEED = Number(values.seed);
const METHODS = values.methods.split(',') as ('pbt' | 'fixed' | 'random' | 'grid')[];
const OUT = values.out ?? path.join('results', 'image-classification', DATASET);
const work = mkdtempSync(path.join(tmpdir(), `pbt-ic-${DATASET}-`));
const storeUrl = `sqlite:${path.join(work, 'pbt.db')}`;
const checkpointDir = path.join(work, 'checkpoints');
const group = `image-${DATASET}-${Date.now().toString(36)}`;

function runMethod(method: string): Promise<MethodRun> {
  const spec = {
    task: 'image-classification',
    sets: [`dataset=${DATASET}`],
    method,
    population: POPULATION,
    budget: BUDGET,
    ready: READY,
    workers: WORKERS,
    seed: SEED,
    store: storeUrl,
    checkpoints: checkpointDir,
    group,
    name: `ic-${DATASET}-${method}`,
  };
  return runMethodThroughCli(method, spec, work);
}

/** Test accuracy (2,000-image subset) of the member best on validation so far, vs total steps. */
function bestSoFarCurve(results: readonly ResultRecord[]): [number, number][] {
  const ordered = [...results].sort((a, b) => a.id - b.id);
  const lastStep = new Map<number, number>();
  const latest = new Map<number, ResultRecord>();
  let total = 0;
  const curve: [number, number][] = [];
  for (const r of ordered) {
    total += r.step - (lastStep.get(r.memberId) ?? 0);
    lastStep.set(r.memberId, r.step);
    if (r.score === null) continue;
    latest.set(r.memberId, r);
    // The member we would pick now: highest current validation accuracy.
    let pick: ResultRecord | undefined;
    for (const c of latest.values()) {
      if (pick === undefined || (c.score ?? -1) > (pick.score ?? -1)) pick = c;
    }
    const test = pick?.metrics?.testAccuracy;
    if (test !== undefined) curve.push([total, test]);
  }
  return curve;
}

const options = parseImageClassificationOptions({ dataset: DATASET });
const evalTask = await imageClassificationTaskDefinition.create(options);

async function fullTestAccuracy(
  checkpoint: string,
  hparams: ResultRecord['hparams'],
): Promise<number> {
  const bytes = await new FilesystemCheckpointStore(checkpointDir).get(checkpoint);
  return (await evaluateCheckpoint(evalTask, bytes, hparams, 'test')).score;
}

const round = (x: number, d = 4): number => Number(x.toFixed(d));

const runs: MethodRun[] = [];
for (const method of METHODS) runs.push(await runMethod(method));

const store = new SqliteStore(path.join(work, 'pbt.db'));
const methods: Record<string, unknown> = {};
const curves: LineSeries[] = [];
let pbtSchedule: { results: ResultRecord[]; lineage: LineageEvent[]; member: number } | null = null;
for (const run of runs) {
  const results = await store.listResults(run.experimentId);
  const lineage = await store.listLineage(run.experimentId);
  const best = bestMember(results);
  if (best === null) throw new Error(`${run.method}: no member has a score`);
  const last = results.filter((r) => r.memberId === best.memberId && r.score !== null).at(-1);
  if (last?.checkpoint == null) throw new Error(`${run.method}: best member has no checkpoint`);
  const testAccuracy = await fullTestAccuracy(last.checkpoint, last.hparams);
  const finals = [...new Set(results.map((r) => r.memberId))].map((id) =>
    results.filter((r) => r.memberId === id && r.score !== null).at(-1),
  );
  const trainSeconds = results.reduce((s, r) => s + r.trainSeconds, 0);
  const totalSteps = sumFinalSteps(results);
  methods[run.method] = {
    experimentId: run.experimentId,
    command: run.command,
    wallSeconds: round(run.wallSeconds, 1),
    workers: WORKERS,
    // A grid smaller than the population runs fewer members, each for more steps.
    members: finals.length,
    stepsPerMember: Math.round(totalSteps / finals.length),
    totalSteps,
    examplesSeen: totalSteps * options.batchSize,
    trainAndEvaluateSeconds: round(trainSeconds, 1),
    loadAverage1mBefore: round(run.loadAverageBefore, 2),
    loadAverage1mAfter: round(run.loadAverageAfter, 2),
    exploits: lineage.length,
    best: {
      member: best.memberId,
      hparams: last.hparams,
      validationAccuracy: round(best.score),
      testAccuracy: round(testAccuracy),
      testSubsetAccuracy:
        last.metrics?.testAccuracy !== undefined ? round(last.metrics.testAccuracy) : null,
    },
    finalValidationAccuracyPerMember: finals.map((r) => (r?.score != null ? round(r.score) : null)),
  };
  curves.push({ name: run.method, points: bestSoFarCurve(results) });
  if (run.method === 'pbt') pbtSchedule = { results, lineage, member: best.memberId };
  process.stderr.write(
    `${run.method}: best member ${best.memberId} validation ${best.score.toFixed(4)} test ${testAccuracy.toFixed(4)} in ${run.wallSeconds.toFixed(0)} s\n`,
  );
}
await store.close();

mkdirSync(OUT, { recursive: true });
const title = DATASET === 'cifar10' ? 'CIFAR-10' : 'Fashion-MNIST';
writeFileSync(
  path.join(OUT, 'test-accuracy.svg'),
  svgLineChart({
    title: `${title}: test accuracy of the member best on validation (equal total steps)`,
    xLabel: 'total training steps across the population',
    yLabel: `test accuracy (${options.testExamples}-image subset)`,
    series: curves,
  }),
);

let schedule: unknown = null;
if (pbtSchedule !== null) {
  const s = scheduleOf(pbtSchedule.member, pbtSchedule.results, pbtSchedule.lineage);
  for (const [name, label] of [
    ['l1', 'L1 strength'],
    ['lr', 'learning rate'],
    ['width', 'hidden width'],
  ] as const) {
    writeFileSync(
      path.join(OUT, `pbt-schedule-${name}.svg`),
      svgLineChart({
        title: `${title}: ${label} schedule of the best PBT member (${s.modelSteps} model steps, ${s.exploits.length} exploits on its path)`,
        xLabel: 'training steps of the final model',
        yLabel: label,
        logY: name !== 'width',
        series: [{ name: `member ${s.memberId} and its donors`, points: hparamSteps(s, name) }],
        legend: false,
      }),
    );
  }
  schedule = scheduleJson(s);
}

const summary = {
  experiment: 'image classification (report section 4.1): MLP with L1 regularisation',
  dataset: DATASET,
  command: `node --import tsx experiments/image-classification.ts --dataset ${DATASET} --budget ${BUDGET} --population ${POPULATION} --ready ${READY} --workers ${WORKERS} --seed ${SEED} --methods ${METHODS.join(',')}`,
  model: `${options.hiddenLayers} hidden ReLU layers of the tuned width, softmax output; Adam; batch ${options.batchSize}`,
  score: `validation accuracy on ${options.validation} held-out training images`,
  testAccuracy: 'of the best member (by validation accuracy), on the full test set (10,000 images)',
  curves: `test accuracy on a fixed ${options.testExamples}-image test subset, evaluated at every ready point`,
  fixedBaselineHparams: IMAGE_CLASSIFICATION_FIXED,
  referencePoints: { 'fashion-mnist': '88-89 % test accuracy', cifar10: '50-55 % test accuracy' }[
    DATASET
  ],
  methods,
  pbtBestSchedule: schedule,
  finishedAt: new Date().toISOString(),
};
writeFileSync(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(methods, null, 2));
if (!values.keep) rmSync(work, { recursive: true, force: true });
else process.stderr.write(`store and checkpoints kept in ${work}\n`);
