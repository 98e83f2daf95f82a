/**
 * Section 4.2 of the report, quick variant: PBT of a GAN's two Adam learning rates on CIFAR-10
 * against the fixed DCGAN setting (2e-4 / 2e-4, β1 0.5) and random search, at an equal number of
 * training steps (population × budget).
 *
 *   node --import tsx experiments/gan.ts --population 6 --budget 400 --ready 50   # the quick run
 *
 * Trains (or loads) the cached score classifier first and measures the real-data ceiling of the
 * score; then runs each method through the real CLI (`node bin/pbt.js run gan --method ...`: a
 * SQLite store, filesystem checkpoints, local worker processes), reads the store and writes into
 * results/gan/: summary.json, score.svg and frechet.svg (best member so far vs total steps),
 * lr-schedule.svg (the learning rates of the best PBT member's path) and samples.png (64 images
 * of the best PBT member next to 64 real CIFAR-10 test images; also as two separate files).
 */
import { hparamSteps, scheduleJson } from './lib/schedule-json.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { runMethodThroughCli, sumFinalSteps, type MethodRun } from './lib/run-method.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { bestMember, scheduleOf } from '../src/engine/core/schedule.js';
import { loadCifar10, type ImageDataset } from '../src/workloads/datasets/index.js';
import { classifierScore } from '../src/workloads/gan/classifier-score.js';
import { frechetDistance, gaussianFit } from '../src/workloads/gan/frechet.js';
import { svgLineChart, type LineSeries } from '../src/engine/report/svg/line-chart.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import type { ResultRecord } from '../src/engine/store/store.js';
import { ensureScoreClassifier } from '../src/workloads/gan/ensure-classifier.js';
import {
  GAN_BETA1,
  GAN_FIXED,
  ganFromCheckpoint,
  generateImages,
} from '../src/workloads/gan/gan-task.js';
import { pixelBatch } from '../src/workloads/gan/layers.js';
import { disposeGan } from '../src/workloads/gan/networks.js';
import { parseGanOptions } from '../src/workloads/gan/options.js';
import { encodePngRgb, imageGrid, sideBySide } from '../src/workloads/gan/png.js';
import { classify, defaultClassifierPath } from '../src/workloads/gan/score-classifier.js';
import { initBackend } from '../src/workloads/tfjs/backend.js';

const { values } = parseArgs({
  options: {
    population: { type: 'string', default: '6' },
    budget: { type: 'string', default: '400' },
    ready: { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'pbt,fixed,random' },
    /** Extra task options, e.g. --set genFilters=32 (repeatable). */
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join('results', 'gan') },
    keep: { type: 'boolean', default: false },
  },
});
const POPULATION = Number(values.population);
const BUDGET = Number(values.budget);
const READY = Number(values.ready);
const WORKERS = Number(values.workers);
const SEED = Number(values.seed);
const METHODS = values.methods.split(',');
const SETS = values.set;
const OUT = values.out;
const started = performance.now();
const loadAverageAtStart = loadavg().map((x) => Number(x.toFixed(2)));

const rawOptions: Record<string, unknown> = {};
for (const kv of SETS) {
  const [k, v] = kv.split('=', 2) as [string, string | undefined];
  rawOptions[k] = v === undefined ? true : Number.isNaN(Number(v)) ? v : Number(v);
}
const options = parseGanOptions(rawOptions);
const classifierPath = options.classifierPath ?? defaultClassifierPath(options.classifierSteps);
const round = (x: number, d = 4): number => Number(x.toFixed(d));
const log = (m: string): void => void process.stderr.write(`${m}\n`);

// 1. The score classifier (trained once, cached) and the real-data references.
await initBackend('wasm');
const data = await loadCifar10(options.dataPath === undefined ? {} : { path: options.dataPath });
const classifier = await ensureScoreClassifier(() => Promise.resolve(data), {
  path: classifierPath,
  steps: options.classifierSteps,
  log,
});
const firstImages = (ds: ImageDataset, from: number, n: number): tf.Tensor4D =>
  pixelBatch(
    ds.images,
    Int32Array.from({ length: n }, (_, i) => from + i),
    ds.height * ds.width * ds.channels,
    [ds.height, ds.width, ds.channels],
  );
function realScore(
  ds: ImageDataset,
  from: number,
  n: number,
): { score: number; fit: ReturnType<typeof gaussianFit> } {
  const images = firstImages(ds, from, n);
  const { probs, features } = classify(classifier, images);
  images.dispose();
  return {
    score: classifierScore(probs, classifier.shape.classes),
    fit: gaussianFit(features, classifier.shape.features),
  };
}
const realAll = realScore(data.test, 0, data.test.count);
const realSubset = realScore(data.test, 0, options.frechetRealExamples);
// Fréchet distance between two real sets of the evaluation's size: what "as good as real" gives.
const realVsReal = frechetDistance(
  realScore(data.train, 0, options.scoreSamples).fit,
  realSubset.fit,
);
log(
  `real test images: classifier score ${realAll.score.toFixed(3)} (all ${data.test.count}), ${realSubset.score.toFixed(3)} (first ${options.frechetRealExamples}); Fréchet train vs test ${realVsReal.toFixed(2)}`,
);

// 2. The methods, one after the other, each with its own local workers.
const work = mkdtempSync(path.join(tmpdir(), 'pbt-gan-'));
const storeUrl = `sqlite:${path.join(work, 'pbt.db')}`;
const checkpointDir = path.join(work, 'checkpoints');
const group = `gan-${Date.now().toString(36)}`;
const sets = [...SETS, `classifierPath=${classifierPath}`];
const runs: MethodRun[] = [];
for (const method of METHODS) {
  runs.push(
    await runMethodThroughCli(
      method,
      {
        task: 'gan',
        sets: sets,
        method,
        population: POPULATION,
        budget: BUDGET,
        ready: READY,
        workers: WORKERS,
        seed: SEED,
        store: storeUrl,
        checkpoints: checkpointDir,
        group,
        name: `gan-${method}`,
        extra: ['--backend', 'wasm'],
      },
      work,
    ),
  );
  log(`${method}: ${runs.at(-1)?.wallSeconds.toFixed(0)} s`);
}

/** A metric of the best member so far (max, or min for `lower`), vs total steps of the population. */
function bestSoFarCurve(
  results: readonly ResultRecord[],
  metric: (r: ResultRecord) => number | undefined,
  lower = false,
): [number, number][] {
  const lastStep = new Map<number, number>();
  const latest = new Map<number, number>();
  let total = 0;
  const curve: [number, number][] = [];
  for (const r of [...results].sort((a, b) => a.id - b.id)) {
    total += r.step - (lastStep.get(r.memberId) ?? 0);
    lastStep.set(r.memberId, r.step);
    const v = metric(r);
    if (r.score === null || v === undefined || !Number.isFinite(v)) continue;
    latest.set(r.memberId, v);
    const values = [...latest.values()];
    curve.push([total, lower ? Math.min(...values) : Math.max(...values)]);
  }
  return curve;
}

// 3. Read the store: scores, curves, the best PBT member's schedule and samples.
const store = new SqliteStore(path.join(work, 'pbt.db'));
const methods: Record<string, unknown> = {};
const scoreCurves: LineSeries[] = [];
const frechetCurves: LineSeries[] = [];
let pbtBest: { results: ResultRecord[]; member: number; checkpoint: string } | null = null;
let schedule: unknown = null;
for (const run of runs) {
  const results = await store.listResults(run.experimentId);
  const lineage = await store.listLineage(run.experimentId);
  const best = bestMember(results);
  if (best === null) throw new Error(`${run.method}: no member has a score`);
  const lastOf = (id: number): ResultRecord | undefined =>
    results.filter((r) => r.memberId === id && r.score !== null).at(-1);
  const last = lastOf(best.memberId);
  if (last?.checkpoint == null) throw new Error(`${run.method}: best member has no checkpoint`);
  const members = [...new Set(results.map((r) => r.memberId))].sort((a, b) => a - b);
  const scored = results.filter((r) => r.score !== null && Number.isFinite(r.score));
  const bestEver = scored.reduce<ResultRecord | null>(
    (b, r) => (b === null || (r.score ?? -Infinity) > (b.score ?? -Infinity) ? r : b),
    null,
  );
  methods[run.method] = {
    experimentId: run.experimentId,
    command: run.command,
    wallSeconds: round(run.wallSeconds, 1),
    workers: WORKERS,
    population: POPULATION,
    stepsPerMember: BUDGET,
    readyEvery: READY,
    totalSteps: sumFinalSteps(results),
    trainAndEvaluateSeconds: round(
      results.reduce((s, r) => s + r.trainSeconds, 0),
      1,
    ),
    loadAverage1mBefore: round(run.loadAverageBefore, 2),
    loadAverage1mAfter: round(run.loadAverageAfter, 2),
    readyPoints: results.length,
    failedReadyPoints: results.filter((r) => r.score === null).length,
    exploits: lineage.length,
    final: {
      bestMember: best.memberId,
      score: round(best.score),
      frechet: last.metrics?.frechet === undefined ? null : round(last.metrics.frechet, 2),
      hparams: last.hparams,
      step: last.step,
    },
    bestEver:
      bestEver === null
        ? null
        : {
            member: bestEver.memberId,
            step: bestEver.step,
            score: round(bestEver.score ?? Number.NaN),
            frechet:
              bestEver.metrics?.frechet === undefined ? null : round(bestEver.metrics.frechet, 2),
            hparams: bestEver.hparams,
          },
    finalPerMember: members.map((id) => {
      const r = lastOf(id);
      return {
        member: id,
        score: r?.score == null ? null : round(r.score),
        frechet: r?.metrics?.frechet === undefined ? null : round(r.metrics.frechet, 2),
        hparams: r?.hparams ?? null,
      };
    }),
  };
  scoreCurves.push({
    name: run.method,
    points: bestSoFarCurve(results, (r) => r.score ?? undefined),
  });
  frechetCurves.push({
    name: run.method,
    points: bestSoFarCurve(results, (r) => r.metrics?.frechet, true),
  });
  if (run.method === 'pbt') {
    pbtBest = { results, member: best.memberId, checkpoint: last.checkpoint };
    const s = scheduleOf(best.memberId, results, lineage);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      path.join(OUT, 'lr-schedule.svg'),
      svgLineChart({
        title: `gan: learning rates of the best PBT member (${s.modelSteps} model steps, ${s.exploits.length} exploits on its path)`,
        xLabel: 'training steps of the final model',
        yLabel: 'Adam learning rate',
        logY: true,
        series: [
          { name: 'generator lrG', points: hparamSteps(s, 'lrG') },
          { name: 'discriminator lrD', points: hparamSteps(s, 'lrD'), dashed: true },
        ],
      }),
    );
    schedule = scheduleJson(s);
  }
  log(
    `${run.method}: best final member ${best.memberId} score ${best.score.toFixed(4)}, ${lineage.length} exploits, ${run.wallSeconds.toFixed(0)} s`,
  );
}
await store.close();

mkdirSync(OUT, { recursive: true });
writeFileSync(
  path.join(OUT, 'score.svg'),
  svgLineChart({
    title: `CIFAR-10 GAN: classifier score of the best member so far (equal total steps; real test images: ${realSubset.score.toFixed(2)})`,
    xLabel: 'total training steps across the population',
    yLabel: `classifier score (${options.scoreSamples} samples)`,
    series: scoreCurves,
  }),
);
writeFileSync(
  path.join(OUT, 'frechet.svg'),
  svgLineChart({
    title: `CIFAR-10 GAN: lowest Fréchet distance so far (classifier features; real vs real: ${realVsReal.toFixed(1)})`,
    xLabel: 'total training steps across the population',
    yLabel: 'Fréchet distance to real test images (lower is better)',
    series: frechetCurves,
  }),
);

// 4. 64 images of the best PBT member next to 64 real test images.
let samples: unknown = null;
if (pbtBest !== null) {
  const bytes = await new FilesystemCheckpointStore(checkpointDir).get(pbtBest.checkpoint);
  const { gan, modelSteps } = ganFromCheckpoint(bytes);
  const images = generateImages(gan, 64, options.batchSize);
  const fake = imageGrid(images.dataSync(), 64, 32, 8);
  images.dispose();
  disposeGan(gan);
  const realImages = firstImages(data.test, 0, 64);
  const real = imageGrid(realImages.dataSync(), 64, 32, 8);
  realImages.dispose();
  const both = sideBySide([fake, real], 16);
  writeFileSync(path.join(OUT, 'samples.png'), encodePngRgb(both.rgb, both.width, both.height));
  writeFileSync(
    path.join(OUT, 'samples-best.png'),
    encodePngRgb(fake.rgb, fake.width, fake.height),
  );
  writeFileSync(
    path.join(OUT, 'samples-real.png'),
    encodePngRgb(real.rgb, real.width, real.height),
  );
  samples = {
    file: 'samples.png (left: generated, right: real)',
    member: pbtBest.member,
    modelSteps,
    noise: 'the evaluation noise (generateImages seed 0), first 64 samples',
  };
}

const wallSeconds = (performance.now() - started) / 1000;
const summary = {
  experiment: 'GAN on CIFAR-10 (report section 4.2), quick variant',
  command: `flock /tmp/pbt-heavy.lock node --import tsx experiments/gan.ts --population ${POPULATION} --budget ${BUDGET} --ready ${READY} --workers ${WORKERS} --seed ${SEED} --methods ${METHODS.join(',')}${SETS.map((s) => ` --set ${s}`).join('')}`,
  wallSeconds: round(wallSeconds, 1),
  workers: WORKERS,
  loadAverageAtStart,
  loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
  model: {
    generator: `noise ${options.noiseDim} → dense 4×4×${4 * options.genFilters} → BN → ReLU → convT ${2 * options.genFilters} → BN → ReLU → convT ${options.genFilters} → BN → ReLU → convT 3 → tanh (4×4 kernels, stride 2)`,
    discriminator: `conv ${options.discFilters} → LeakyReLU → conv ${2 * options.discFilters} → BN → LeakyReLU → conv ${4 * options.discFilters} → BN → LeakyReLU → dense 1 (4×4 kernels, stride 2)`,
    batchSize: options.batchSize,
    adamBeta1: GAN_BETA1,
  },
  options,
  tuned:
    'lrG, lrD: log-uniform in [1e-5, 1e-2]; PBT: truncation 20 % (at least 1), perturb ×0.8/×1.2',
  fixedBaselineHparams: GAN_FIXED,
  score: {
    name: 'classifier score: exp(E_x KL(p(y|x) || p(y))) with our own CIFAR-10 classifier (not Inception-v3; not comparable with published Inception Scores)',
    samples: options.scoreSamples,
    frechet: `Fréchet distance in the classifier's ${classifier.shape.features}-d feature space to the first ${options.frechetRealExamples} CIFAR-10 test images`,
    classifier: {
      file: classifierPath,
      trainSteps: classifier.trainSteps,
      testAccuracy: round(classifier.testAccuracy),
    },
    realDataCeiling: {
      allTestImages: round(realAll.score),
      [`first${options.frechetRealExamples}TestImages`]: round(realSubset.score),
      frechetTrainVsTest: round(realVsReal, 2),
    },
  },
  methods,
  pbtBestSchedule: schedule,
  samples,
  finishedAt: new Date().toISOString(),
};
writeFileSync(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(methods, null, 2));
if (!values.keep) rmSync(work, { recursive: true, force: true });
else log(`store and checkpoints kept in ${work}`);
