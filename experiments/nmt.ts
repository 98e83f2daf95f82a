/**
 * Section 4.3 of the report, quick variant: English→German GRU seq2seq with attention on the
 * Europarl sample, PBT against the fixed baseline (lr 1e-3, dropout 0.2) and random search at
 * an equal number of training steps (population × budget).
 *
 *   node --import tsx experiments/nmt.ts --population 4 --budget 100 --ready 25
 *
 * Each method runs through the real CLI (`node bin/pbt.js run nmt ...`: a SQLite store,
 * filesystem checkpoints, local worker processes); this script then reads the store, writes
 * results/nmt/summary.json, a BLEU-vs-step SVG, the PBT member's lr/dropout schedule SVGs and
 * ten example translations of the best PBT member next to the references. The best member of
 * each method is then scored on the validation pairs and on a WMT held-out test split
 * (`--test-split`, tokenised like the training files), greedy and with beam search (`--beam`).
 */
import { hparamSteps, scheduleJson } from './lib/schedule-json.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runMethodThroughCli, sumFinalSteps, type MethodRun } from './lib/run-method.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { bestMember, scheduleOf } from '../src/engine/core/schedule.js';
import { svgLineChart, type LineSeries } from '../src/engine/report/svg/line-chart.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import type { LineageEvent, ResultRecord } from '../src/engine/store/store.js';
import { evaluationContext } from '../src/engine/tasks/evaluate-checkpoint.js';
import {
  createNmtTask,
  NMT_FIXED,
  type ExampleTranslation,
} from '../src/workloads/nmt/nmt-task.js';
import { parseNmtOptions } from '../src/workloads/nmt/options.js';
import { parseTaskOptionSets } from '../src/engine/cli/task-option-sets.js';
import { evaluateCheckpoint } from '../src/engine/tasks/evaluate-checkpoint.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '100' },
    population: { type: 'string', default: '4' },
    ready: { type: 'string', default: '25' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    methods: { type: 'string', default: 'pbt,fixed,random' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    beam: { type: 'string', default: '4' },
    'test-split': { type: 'string', default: 'test2008' },
    'test-sentences': { type: 'string', default: '0' },
  },
});
const scriptStarted = performance.now();
const loadAverageAtStart = loadavg();
const BEAM = Number(values.beam);
const TEST_SPLIT = values['test-split'];
if (values['test-sentences'] !== '0') {
  // The test split is scored through the task's evaluateCheckpoint, on every pair that fits.
  throw new Error('--test-sentences takes only 0 (every test pair that fits the length limit)');
}
const BUDGET = Number(values.budget);
const POPULATION = Number(values.population);
const READY = Number(values.ready);
const WORKERS = Number(values.workers);
const SEED = Number(values.seed);
const METHODS = values.methods.split(',') as ('pbt' | 'fixed' | 'random')[];
const SETS = values.set;
const OUT = values.out ?? path.join('results', 'nmt');
const work = mkdtempSync(path.join(tmpdir(), 'pbt-nmt-'));
const storeUrl = `sqlite:${path.join(work, 'pbt.db')}`;
const checkpointDir = path.join(work, 'checkpoints');
const group = `nmt-${Date.now().toString(36)}`;

// Parsed as `pbt run` parses them, so the evaluation here sees the options the workers saw.
const options = parseNmtOptions(parseTaskOptionSets(SETS));

function runMethod(method: string): Promise<MethodRun> {
  const spec = {
    task: 'nmt',
    sets: SETS,
    method,
    population: POPULATION,
    budget: BUDGET,
    ready: READY,
    workers: WORKERS,
    seed: SEED,
    store: storeUrl,
    checkpoints: checkpointDir,
    group,
    name: `nmt-${method}`,
  };
  return runMethodThroughCli(method, spec, work);
}

/** BLEU (validation subset) of the member best so far, vs total steps across the population. */
function bestSoFarCurve(results: readonly ResultRecord[]): [number, number][] {
  const ordered = [...results].sort((a, b) => a.id - b.id);
  const lastStep = new Map<number, number>();
  const latest = new Map<number, number>();
  let total = 0;
  const curve: [number, number][] = [];
  for (const r of ordered) {
    total += r.step - (lastStep.get(r.memberId) ?? 0);
    lastStep.set(r.memberId, r.step);
    // Unsmoothed BLEU (the metric), even when the score is a smoothed BLEU.
    const bleu = r.metrics?.bleu100;
    if (r.score === null || bleu === undefined) continue;
    latest.set(r.memberId, bleu);
    curve.push([total, Math.max(...latest.values())]);
  }
  return curve;
}

const round = (x: number, d = 4): number => Number(x.toFixed(d));
// The best members are scored through the task's evaluation contract, greedy and with beam search.
const greedyTask = createNmtTask({ ...options, beam: 1 });
const beamTask = createNmtTask({ ...options, beam: BEAM });

interface BleuPair {
  readonly bleu: number;
  readonly bleu100: number;
  readonly brevityPenalty: number;
  readonly lengthRatio: number;
}

/**
 * The best member of a method, from its last checkpoint: BLEU on the validation pairs and on
 * the held-out test split, greedy and with beam search (the task's evaluateCheckpoint), and
 * example translations.
 */
async function finalEvaluation(
  checkpoint: string,
  hparams: ResultRecord['hparams'],
): Promise<{
  sentences: { valid: number; test: number };
  valid: { greedy: BleuPair; beam: BleuPair };
  test: { greedy: BleuPair; beam: BleuPair };
  examples: ExampleTranslation[];
  evalSeconds: number;
}> {
  const started = performance.now();
  const bytes = await new FilesystemCheckpointStore(checkpointDir).get(checkpoint);
  const ctx = evaluationContext(SEED);
  const score = async (
    task: typeof greedyTask,
    split: string,
  ): Promise<{ pair: BleuPair; sentences: number }> => {
    const m = await evaluateCheckpoint(task, bytes, hparams, split, ctx);
    return {
      pair: {
        bleu: round(m.bleu ?? 0, 6),
        bleu100: round(m.bleu100 ?? 0, 3),
        brevityPenalty: round(m.brevityPenalty ?? 0, 4),
        lengthRatio: round(m.lengthRatio ?? 0, 4),
      },
      sentences: m.sentences ?? 0,
    };
  };
  const validGreedy = await score(greedyTask, 'validation');
  const testGreedy = await score(greedyTask, TEST_SPLIT);
  return {
    sentences: { valid: validGreedy.sentences, test: testGreedy.sentences },
    valid: { greedy: validGreedy.pair, beam: (await score(beamTask, 'validation')).pair },
    test: { greedy: testGreedy.pair, beam: (await score(beamTask, TEST_SPLIT)).pair },
    examples: await greedyTask.translateCheckpoint(bytes, 'validation', 10, ctx),
    evalSeconds: round((performance.now() - started) / 1000, 1),
  };
}

const runs: MethodRun[] = [];
for (const method of METHODS) runs.push(await runMethod(method));

const store = new SqliteStore(path.join(work, 'pbt.db'));
const methods: Record<string, unknown> = {};
const curves: LineSeries[] = [];
let examples: { method: string; member: number; translations: unknown } | null = null;
let pbtSchedule: { results: ResultRecord[]; lineage: LineageEvent[]; member: number } | null = null;
for (const run of runs) {
  const results = await store.listResults(run.experimentId);
  const lineage = await store.listLineage(run.experimentId);
  const best = bestMember(results);
  if (best === null) throw new Error(`${run.method}: no member has a score`);
  const last = results.filter((r) => r.memberId === best.memberId && r.score !== null).at(-1);
  if (last?.checkpoint == null) throw new Error(`${run.method}: best member has no checkpoint`);
  const finals = [...new Set(results.map((r) => r.memberId))].map((id) =>
    results.filter((r) => r.memberId === id && r.score !== null).at(-1),
  );
  const trainSeconds = results.reduce((s, r) => s + r.trainSeconds, 0);
  methods[run.method] = {
    experimentId: run.experimentId,
    command: run.command,
    wallSeconds: round(run.wallSeconds, 1),
    workers: WORKERS,
    population: POPULATION,
    stepsPerMember: BUDGET,
    totalSteps: sumFinalSteps(results),
    trainAndEvaluateSeconds: round(trainSeconds, 1),
    loadAverage1mBefore: round(run.loadAverageBefore, 2),
    loadAverage1mAfter: round(run.loadAverageAfter, 2),
    exploits: lineage.length,
    best: {
      member: best.memberId,
      hparams: last.hparams,
      score: round(best.score, 6),
      bleu: last.metrics?.bleu ?? null,
      bleu100: last.metrics?.bleu100 ?? null,
      trainLoss: last.metrics?.trainLoss ?? null,
    },
    finalBleu100PerMember: finals.map((r) => r?.metrics?.bleu100 ?? null),
  };
  curves.push({ name: run.method, points: bestSoFarCurve(results) });
  const final = await finalEvaluation(last.checkpoint, last.hparams);
  Object.assign(methods[run.method] as object, {
    bestFinal: {
      sentences: final.sentences,
      valid: final.valid,
      [`test-${TEST_SPLIT}`]: final.test,
      evalSeconds: final.evalSeconds,
    },
  });
  if (run.method === 'pbt' || examples === null) {
    examples = { method: run.method, member: best.memberId, translations: final.examples };
  }
  if (run.method === 'pbt') pbtSchedule = { results, lineage, member: best.memberId };
  process.stderr.write(
    `${run.method}: best member ${best.memberId} score ${best.score.toFixed(4)} BLEU×100 ${String(last.metrics?.bleu100)} in ${run.wallSeconds.toFixed(0)} s; ${TEST_SPLIT} BLEU×100 greedy ${final.test.greedy.bleu100} beam ${BEAM} ${final.test.beam.bleu100}\n`,
  );
}
await store.close();

mkdirSync(OUT, { recursive: true });
writeFileSync(
  path.join(OUT, 'bleu.svg'),
  svgLineChart({
    title: `${options.corpus === 'multi30k' ? 'Multi30k' : 'Europarl'} ${options.sourceLang}→${options.targetLang}: validation BLEU of the best member so far (equal total steps)`,
    xLabel: 'total training steps across the population',
    yLabel: `BLEU ×100 (first ${options.evalSentences} validation sentences)`,
    series: curves,
  }),
);

let schedule: unknown = null;
if (pbtSchedule !== null) {
  const s = scheduleOf(pbtSchedule.member, pbtSchedule.results, pbtSchedule.lineage);
  for (const [name, label] of [
    ['lr', 'learning rate'],
    ['dropout', 'dropout rate'],
  ] as const) {
    writeFileSync(
      path.join(OUT, `pbt-schedule-${name}.svg`),
      svgLineChart({
        title: `nmt: ${label} schedule of the best PBT member (${s.modelSteps} model steps, ${s.exploits.length} exploits on its path)`,
        xLabel: 'training steps of the final model',
        yLabel: label,
        logY: name === 'lr',
        series: [{ name: `member ${s.memberId} and its donors`, points: hparamSteps(s, name) }],
        legend: false,
      }),
    );
  }
  schedule = scheduleJson(s);
}

const loadAverageAtEnd = loadavg();
const summary = {
  experiment: 'neural machine translation (report section 4.3), scaled down',
  command: `node --import tsx experiments/nmt.ts --budget ${BUDGET} --population ${POPULATION} --ready ${READY} --workers ${WORKERS} --seed ${SEED} --beam ${BEAM} --test-split ${TEST_SPLIT}${SETS.map((s) => ` --set ${s}`).join('')}`,
  settings: {
    population: POPULATION,
    stepsPerMember: BUDGET,
    readyEvery: READY,
    workers: WORKERS,
    seed: SEED,
    beam: BEAM,
    testSplit: TEST_SPLIT,
  },
  options,
  wallSeconds: round((performance.now() - scriptStarted) / 1000, 1),
  loadAverage: { atStart: loadAverageAtStart, atEnd: loadAverageAtEnd },
  model: `GRU ${options.hidden} encoder-decoder, embeddings ${options.embedding}, dot-product attention, dropout (tuned), Adam; batch ${options.batchSize}`,
  score: `corpus BLEU (smoothing for the score: ${options.scoreSmoothing}; bleu/bleu100 and the curves are unsmoothed) of greedy translations of the first ${options.evalSentences || 'all'} validation pairs with at most ${options.maxLength} words per side${options.evalUnseen ? ' whose source does not occur in the training data (each source once)' : ''} (lower-cased: ${options.lowercase})`,
  bestFinal: `best member of each method (by score) reloaded from its last checkpoint: unsmoothed BLEU on the validation pairs and on ${TEST_SPLIT} (WMT Europarl held-out, tokenised like the training files, same length and unseen-source filter, all pairs that fit), greedy and beam ${BEAM} (length penalty α ${options.lengthPenalty})`,
  fixedBaselineHparams: NMT_FIXED,
  reportReference:
    'the report: baseline BLEU 0.0795 after 8,000 steps (population 8, sentences up to 40 words); this run is far smaller',
  methods,
  pbtBestSchedule: schedule,
  bestExampleTranslations: examples,
  finishedAt: new Date().toISOString(),
};
writeFileSync(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(methods, null, 2));
if (!values.keep) rmSync(work, { recursive: true, force: true });
else process.stderr.write(`store and checkpoints kept in ${work}\n`);
