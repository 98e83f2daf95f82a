/**
 * Learning curve of ONE fixed NMT member (issue 14 item 5): does the fixed baseline learn, and
 * after how many steps/epochs? Trains with fixed hyperparameters and, every `--every` steps,
 * records the mean training loss since the last point, the teacher-forced validation loss (no
 * dropout) and greedy validation BLEU on the task's evaluation subset (`--set evalSentences=N`).
 *
 *   node --import tsx experiments/nmt-learning-curve.ts --name default --steps 3000 --every 250 \
 *     --set corpus=multi30k --set validSplit=val --set evalSentences=500
 *
 * Chunked so that each run fits the shared machine's 10-minute lock: after `--max-seconds` the
 * script stops at the next evaluation point. A checkpoint and the curve so far live in
 * `--work` (default a folder under the OS temp dir, named after the setting); running the same
 * command again continues where the last chunk stopped, bit for bit as if uninterrupted (the
 * task's save/load keeps Adam's state, the batch order and the dropout masks). Writes
 * `<out>/<name>.json` and `<out>/<name>.svg` after every evaluation point.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/engine/core/rng.js';
import type { TaskContext } from '../src/engine/tasks/task.js';
import { parseTaskOptionSets } from '../src/engine/cli/task-option-sets.js';
import { svgLineChart } from '../src/engine/report/svg/line-chart.js';
import { UNK_ID } from '../src/workloads/datasets/vocabulary.js';
import { createNmtTask, NMT_FIXED, type NmtState } from '../src/workloads/nmt/nmt-task.js';
import { lossInputs, teacherForcedLoss, trainingBatch } from '../src/workloads/nmt/model.js';
import type { NmtData } from '../src/workloads/nmt/nmt-data.js';
import { parseNmtOptions } from '../src/workloads/nmt/options.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'default' },
    steps: { type: 'string', default: '3000' },
    every: { type: 'string', default: '250' },
    lr: { type: 'string', default: String(NMT_FIXED['lr']) },
    dropout: { type: 'string', default: String(NMT_FIXED['dropout']) },
    seed: { type: 'string', default: '0' },
    set: { type: 'string', multiple: true, default: [] },
    'max-seconds': { type: 'string', default: '540' },
    out: { type: 'string', default: path.join('results', 'nmt', 'learning-curve') },
    work: { type: 'string' },
  },
});
const NAME = values.name;
const STEPS = Number(values.steps);
const EVERY = Number(values.every);
const SEED = Number(values.seed);
const MAX_SECONDS = Number(values['max-seconds']);
const hparams = { lr: Number(values.lr), dropout: Number(values.dropout) };
const options = parseNmtOptions(parseTaskOptionSets(values.set));
const work = values.work ?? path.join(tmpdir(), 'pbt-nmt-learning-curve', NAME);
const checkpointFile = path.join(work, 'member.ckpt');
const out = values.out;
const round = (x: number, d = 4): number => Number(x.toFixed(d));

interface CurvePoint {
  readonly step: number;
  readonly epoch: number;
  /** Mean training loss per target token over the steps since the previous point. */
  readonly trainLoss: number;
  /** Teacher-forced cross-entropy per target token on the evaluation pairs, no dropout. */
  readonly validLoss: number;
  readonly bleu100: number;
  readonly brevityPenalty: number;
  readonly lengthRatio: number;
  /** Seconds of training for the steps since the previous point, and of this evaluation. */
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly loadAverage1m: number;
}

interface Chunk {
  readonly fromStep: number;
  readonly toStep: number;
  readonly startedAt: string;
  readonly loadAverageAtStart: number[];
  readonly loadAverageAtEnd: number[];
}

interface CurveFile {
  readonly setting: string;
  readonly command: string;
  readonly hparams: typeof hparams;
  readonly seed: number;
  readonly options: typeof options;
  data: Record<string, unknown>;
  points: CurvePoint[];
  chunks: Chunk[];
  stepsPerSecond?: number;
}

const command = `node --import tsx experiments/nmt-learning-curve.ts --name ${NAME} --steps ${STEPS} --every ${EVERY} --lr ${hparams.lr} --dropout ${hparams.dropout} --seed ${SEED}${values.set.map((s) => ` --set ${s}`).join('')}`;
const curveFile = path.join(out, `${NAME}.json`);
const checkpointExists = existsSync(checkpointFile);
const previous: CurveFile | null =
  checkpointExists && existsSync(curveFile)
    ? (JSON.parse(readFileSync(curveFile, 'utf8')) as CurveFile)
    : null;
if (previous !== null && JSON.stringify(previous.options) !== JSON.stringify(options)) {
  throw new Error(`${curveFile} was made with other task options; use another --name`);
}

const log = (m: string): void => void process.stderr.write(`${m}\n`);
const ctx: TaskContext = {
  experimentId: `nmt-learning-curve-${NAME}`,
  memberId: 0,
  seed: SEED,
  rng: createRng(SEED, 'nmt-learning-curve'),
  step: 0,
  log,
};
const task = createNmtTask({ ...options, beam: 1 });
const state: NmtState = checkpointExists
  ? await task.load(new Uint8Array(readFileSync(checkpointFile)), hparams, ctx)
  : await task.create(hparams, ctx);
const data = state.data;

/** Share of `sentences`' words that the vocabulary maps to <UNK>. */
function unkRate(sentences: readonly (readonly string[])[], vocab: NmtData['targetVocab']): number {
  let words = 0;
  let unknown = 0;
  for (const s of sentences) {
    for (const id of vocab.encode(s, { eos: false, maxLength: Number.MAX_SAFE_INTEGER })) {
      words++;
      if (id === UNK_ID) unknown++;
    }
  }
  return words === 0 ? 0 : unknown / words;
}

const trainTargetUnk =
  data.train.reduce((n, p) => n + p.target.filter((id) => id === UNK_ID).length, 0) /
  data.train.reduce((n, p) => n + p.target.length - 1, 0);
const dataStats = {
  trainPairs: data.train.length,
  sourceVocab: data.sourceVocab.size,
  targetVocab: data.targetVocab.size,
  evalSentences: data.valid.sources.length,
  evalDropped: data.valid.dropped,
  trainTargetUnkRate: round(trainTargetUnk),
  evalSourceUnkRate: round(unkRate(data.valid.sourceTokens, data.sourceVocab)),
  evalReferenceUnkRate: round(unkRate(data.valid.references, data.targetVocab)),
  stepsPerEpoch: round(data.train.length / options.batchSize, 1),
};
log(`${NAME}: ${JSON.stringify(dataStats)}`);

// The evaluation pairs as id rows, for the teacher-forced validation loss.
const validTargets = data.valid.references.map((r) =>
  data.targetVocab.encode(r, { maxLength: options.maxLength }),
);

function validLoss(s: NmtState): number {
  let total = 0;
  let tokens = 0;
  for (let start = 0; start < data.valid.sources.length; start += options.evalBatchSize) {
    const end = start + options.evalBatchSize;
    const batch = trainingBatch(
      data.valid.sources.slice(start, end),
      validTargets.slice(start, end),
    );
    const inputs = lossInputs(batch);
    const n = inputs.labels.shape[0];
    const loss = tf.tidy(() => teacherForcedLoss(s.model, batch, inputs, 0, 0));
    total += (loss.dataSync()[0] as number) * n;
    tokens += n;
    tf.dispose([loss, inputs.rows, inputs.labels]);
  }
  return total / tokens;
}

const curve: CurveFile = previous ?? {
  setting: NAME,
  command,
  hparams,
  seed: SEED,
  options,
  data: dataStats,
  points: [],
  chunks: [],
};
curve.data = dataStats;

function writeOutputs(): void {
  mkdirSync(out, { recursive: true });
  const trainSeconds = curve.points.reduce((s, p) => s + p.trainSeconds, 0);
  const lastStep = curve.points.at(-1)?.step ?? 0;
  if (trainSeconds > 0) curve.stepsPerSecond = round(lastStep / trainSeconds, 2);
  writeFileSync(curveFile, `${JSON.stringify(curve, null, 2)}\n`);
  const pts = curve.points;
  writeFileSync(
    path.join(out, `${NAME}.svg`),
    svgLineChart({
      title: `nmt ${options.corpus} learning curve, setting "${NAME}" (one fixed member, lr ${hparams.lr}, dropout ${hparams.dropout})`,
      xLabel: `epochs (${dataStats.trainPairs} training pairs, batch ${options.batchSize})`,
      yLabel: `BLEU×100 (greedy, ${dataStats.evalSentences} val. pairs) / loss×10`,
      series: [
        { name: 'validation BLEU×100', points: pts.map((p) => [p.epoch, p.bleu100]), dots: true },
        {
          name: 'train loss ×10',
          points: pts.map((p) => [p.epoch, 10 * p.trainLoss]),
          dashed: true,
        },
        {
          name: 'validation loss ×10',
          points: pts.map((p) => [p.epoch, 10 * p.validLoss]),
          dashed: true,
        },
      ],
    }),
  );
}

const started = performance.now();
const chunkStart = { step: state.modelSteps, at: new Date().toISOString(), load: loadavg() };
while (state.modelSteps < STEPS && (performance.now() - started) / 1000 < MAX_SECONDS) {
  const steps = Math.min(EVERY, STEPS - state.modelSteps);
  const t0 = performance.now();
  await task.train(state, hparams, steps, { ...ctx, step: state.modelSteps });
  const t1 = performance.now();
  const metrics = await task.evaluate(state, { ...ctx, step: state.modelSteps });
  const vLoss = validLoss(state);
  const t2 = performance.now();
  const point: CurvePoint = {
    step: state.modelSteps,
    epoch: round((state.modelSteps * options.batchSize) / data.train.length, 3),
    trainLoss: round(state.lastLoss),
    validLoss: round(vLoss),
    bleu100: round(metrics['bleu100'] ?? 0, 3),
    brevityPenalty: round(metrics['brevityPenalty'] ?? 0),
    lengthRatio: round(metrics['lengthRatio'] ?? 0),
    trainSeconds: round((t1 - t0) / 1000, 2),
    evalSeconds: round((t2 - t1) / 1000, 2),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
  curve.points.push(point);
  mkdirSync(work, { recursive: true });
  writeFileSync(checkpointFile, await task.save(state));
  log(`${NAME}: ${JSON.stringify(point)}`);
  writeOutputs();
}
curve.chunks.push({
  fromStep: chunkStart.step,
  toStep: state.modelSteps,
  startedAt: chunkStart.at,
  loadAverageAtStart: chunkStart.load.map((x) => round(x, 2)),
  loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
});
writeOutputs();
await task.dispose?.(state);
log(
  `${NAME}: ${curve.points.at(-1)?.step ?? 0}/${STEPS} steps${(curve.points.at(-1)?.step ?? 0) < STEPS ? ' — run the same command again to continue' : ' — done'}`,
);
