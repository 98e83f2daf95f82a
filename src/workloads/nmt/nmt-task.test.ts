import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateCheckpoint, evaluationContext } from '../../engine/tasks/evaluate-checkpoint.js';
import { evaluateSaved } from '../tfjs/test-helpers.js';
import { ConfigError } from '../../engine/core/errors.js';
import { createRng } from '../../engine/core/rng.js';
import type { TaskContext } from '../../engine/tasks/task.js';
import { EOS_ID } from '../datasets/vocabulary.js';
import { initBackend } from '../tfjs/backend.js';
import {
  createSeq2Seq,
  disposeSeq2Seq,
  encode,
  greedyDecode,
  initialSeq2SeqWeights,
  lossInputs,
  teacherForcedLoss,
  trainingBatch,
  WEIGHT_NAMES,
} from './model.js';
import type { RawNmtSplits } from './nmt-data.js';
import { prepareNmtData } from './nmt-data.js';
import { createNmtTask, type NmtState } from './nmt-task.js';
import { parseNmtOptions } from './options.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Reverse-and-translate: source words a0..a9, target = the sentence reversed in b0..b9. */
function reverseCorpus(count: number, seed: string): { source: string[][]; target: string[][] } {
  const rng = createRng('nmt-test', seed);
  const source: string[][] = [];
  const target: string[][] = [];
  for (let i = 0; i < count; i++) {
    const n = 2 + rng.int(4);
    const ids = Array.from({ length: n }, () => rng.int(10));
    source.push(ids.map((k) => `a${k}`));
    target.push([...ids].reverse().map((k) => `b${k}`));
  }
  return { source, target };
}

const raw: RawNmtSplits = { train: reverseCorpus(300, 'train'), valid: reverseCorpus(20, 'valid') };
const options = parseNmtOptions({
  backend: 'wasm',
  embedding: 12,
  hidden: 16,
  batchSize: 16,
  maxLength: 8,
  evalSentences: 20,
});
const task = createNmtTask(options, () => Promise.resolve(raw));
const h = { lr: 0.01, dropout: 0.1 };

function ctx(memberId = 0, seed = 1, step = 0): TaskContext {
  return {
    experimentId: 'test',
    memberId,
    seed,
    rng: createRng('test-context', seed),
    step,
    log: () => undefined,
  };
}

const weightsOf = (s: NmtState): Float32Array[] =>
  s.model.variables.map((v) => Float32Array.from(v.dataSync()));

describe('nmt data', () => {
  it('builds both vocabularies deterministically and drops pairs longer than maxLength', () => {
    const a = prepareNmtData(raw, { ...options, maxLength: 4 });
    const b = prepareNmtData(raw, { ...options, maxLength: 4 });
    expect(a.vocabHash).toBe(b.vocabHash);
    expect(a.sourceVocab.size).toBe(14); // 4 specials + 10 words
    expect(a.train.every((p) => p.source.length <= 5 && p.target.at(-1) === EOS_ID)).toBe(true);
    expect(a.train.length).toBeLessThan(raw.train.source.length);
    expect(() => prepareNmtData(raw, { ...options, maxLength: 1 })).toThrow(ConfigError);
  });
});

describe('nmt options', () => {
  it('has quick defaults and rejects bad input with a ConfigError', () => {
    const o = parseNmtOptions({});
    expect([o.maxLength, o.vocabSize, o.minCount, o.embedding, o.hidden]).toEqual([
      20, 4000, 5, 100, 96,
    ]);
    expect(() => parseNmtOptions({ maxLenght: 10 })).toThrow(ConfigError);
    expect(() => parseNmtOptions({ sourceLang: 'de', targetLang: 'de' })).toThrow(/differ/);
  });
});

describe('seq2seq model', () => {
  const shape = { sourceVocab: 14, targetVocab: 14, embedding: 6, hidden: 8 };

  it('has the shapes of the report table and a finite loss', () => {
    const model = createSeq2Seq(shape, initialSeq2SeqWeights(shape, createRng('m', 1)));
    expect(model.variables.map((v) => v.shape)).toEqual([
      [14, 6],
      [6, 24],
      [8, 24],
      [24],
      [24],
      [14, 6],
      [6, 24],
      [8, 24],
      [24],
      [24],
      [16, 8],
      [8],
      [8, 14],
      [14],
    ]);
    const batch = trainingBatch(
      [
        [4, 5, 6, EOS_ID],
        [7, EOS_ID],
      ],
      [[8, 9, EOS_ID], [EOS_ID]],
    );
    tf.tidy(() => {
      const enc = encode(model, batch.source);
      expect(enc.outputs.shape).toEqual([2, 4, 8]);
      expect(enc.state.shape).toEqual([2, 8]);
      // Padding does not change the state: row 1's final state is its state after 2 tokens.
      const out = enc.outputs.arraySync();
      expect(enc.state.arraySync()[1]).toEqual(out[1]?.[1]);
      expect(out[1]?.[3]).toEqual(out[1]?.[1]);
      const loss = teacherForcedLoss(
        model,
        batch,
        lossInputs(batch),
        0.2,
        3,
      ).dataSync()[0] as number;
      // Near log(14) for an untrained model.
      expect(loss).toBeGreaterThan(1.5);
      expect(loss).toBeLessThan(4);
    });
    disposeSeq2Seq(model);
  });

  it('greedy decoding stops at <EOS> and otherwise at the length limit', () => {
    const model = createSeq2Seq(shape, initialSeq2SeqWeights(shape, createRng('m', 2)));
    const bias = model.variables[WEIGHT_NAMES.indexOf('outBias')] as tf.Variable;
    const favour = (id: number): void => {
      const b = new Float32Array(14);
      b[id] = 100;
      tf.tidy(() => bias.assign(tf.tensor1d(b)));
    };
    const sources = [[4, 5, EOS_ID], [6, EOS_ID], [EOS_ID]];
    favour(EOS_ID);
    expect(greedyDecode(model, sources, 7)).toEqual([[], [], []]);
    favour(9);
    expect(greedyDecode(model, sources, 7)).toEqual([
      [9, 9, 9, 9, 9, 9, 9],
      [9, 9, 9, 9, 9, 9, 9],
      [9, 9, 9, 9, 9, 9, 9],
    ]);
    disposeSeq2Seq(model);
  });
});

describe('nmt task', () => {
  it('training lowers the loss and leaks no tensors', async () => {
    const s = await task.create(h, ctx());
    await task.train(s, h, 5, ctx());
    const first = s.lastLoss;
    const before = tf.memory().numTensors;
    await task.train(s, h, 60, ctx());
    await task.evaluate(s, ctx());
    expect(tf.memory().numTensors).toBe(before);
    expect(s.lastLoss).toBeLessThan(first * 0.8);
    const m = await task.evaluate(s, ctx());
    expect(m.score).toBeGreaterThanOrEqual(0);
    expect(m.bleu100).toBeCloseTo(m.score * 100, 10);
    expect(m.diverged).toBe(0);
    // A loss far above uniform guessing over the vocabulary is flagged (the worker then never
    // lets this member be copied).
    s.lastLoss = 2 * Math.log(s.data.targetVocab.size);
    expect((await task.evaluate(s, ctx())).diverged).toBe(1);
    s.lastLoss = first;
    await task.dispose?.(s);
    const atEnd = tf.memory().numTensors;
    expect(before - atEnd).toBe(s.model.variables.length + 2 * 14 + 2);
  });

  it('a save/load round trip continues training identically', async () => {
    const a = await task.create(h, ctx(2, 7));
    await task.train(a, h, 6, ctx(2, 7));
    const bytes = await task.save(a);
    await task.train(a, h, 6, ctx(2, 7, 6));
    const b = await task.load(bytes, h, ctx(2, 7, 6));
    expect(b.modelSteps).toBe(6);
    await task.train(b, h, 6, ctx(2, 7, 6));
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(await task.evaluate(b, ctx())).toEqual(await task.evaluate(a, ctx()));
    await task.dispose?.(a);
    await task.dispose?.(b);
  });

  it('learning rate and dropout change in place, without rebuilding the model', async () => {
    const s = await task.create(h, ctx(0, 5));
    await task.train(s, h, 2, ctx(0, 5));
    const { model, optimizer } = s;
    const lr = (): number => (optimizer as unknown as { learningRate: number }).learningRate;
    expect(lr()).toBe(0.01);
    // With lr → 0 Adam leaves the weights (almost) unchanged; with dropout 0.5 the loss differs.
    const w0 = weightsOf(s);
    await task.train(s, { lr: 1e-9, dropout: 0.5 }, 1, ctx(0, 5));
    expect(lr()).toBe(1e-9);
    expect(s.model).toBe(model);
    expect(s.optimizer).toBe(optimizer);
    const w1 = weightsOf(s);
    const maxDiff = Math.max(
      ...w0.map((w, i) => Math.max(...w.map((x, k) => Math.abs(x - (w1[i]?.[k] ?? 0))))),
    );
    expect(maxDiff).toBeLessThan(1e-6);
    // The dropout rate is read at every step: same weights and batch, other rate, other loss.
    const bytes = await task.save(s);
    const losses: number[] = [];
    for (const dropout of [0.1, 0.1, 0.5]) {
      const copy = await task.load(bytes, h, ctx(0, 5));
      await task.train(copy, { lr: 1e-9, dropout }, 1, ctx(0, 5));
      losses.push(copy.lastLoss);
      await task.dispose?.(copy);
    }
    expect(losses[1]).toBe(losses[0]);
    expect(losses[2]).not.toBe(losses[0]);
    await task.dispose?.(s);
  });

  it('evaluates with beam search and keeps the reported BLEU unsmoothed', async () => {
    const beamTask = createNmtTask({ ...options, beam: 3, scoreSmoothing: 'exp' }, () =>
      Promise.resolve(raw),
    );
    const s = await beamTask.create(h, ctx(1, 4));
    await beamTask.train(s, h, 20, ctx(1, 4));
    const before = tf.memory().numTensors;
    const m = await beamTask.evaluate(s, ctx(1, 4));
    expect(tf.memory().numTensors).toBe(before);
    expect(m.bleu100).toBeCloseTo((m.bleu as number) * 100, 10);
    // The smoothed score is never below the plain BLEU.
    expect(m.score).toBeGreaterThanOrEqual(m.bleu as number);
    await beamTask.dispose?.(s);
  });

  it('rejects a checkpoint made with another vocabulary', async () => {
    const s = await task.create(h, ctx());
    const bytes = await task.save(s);
    const other = createNmtTask({ ...options, maxLength: 4 }, () => Promise.resolve(raw));
    await expect(other.load(bytes, h, ctx())).rejects.toThrow(ConfigError);
    await task.dispose?.(s);
  });

  it('evaluateCheckpoint scores a saved member on the validation set like evaluate does', async () => {
    const s = await task.create(h, ctx(0, 3));
    await task.train(s, h, 20, ctx(0, 3));
    const live = await task.evaluate(s, ctx(0, 3));
    const { metrics, bytes, leaked } = await evaluateSaved(task, s, h, 'validation');
    expect(leaked).toBe(0);
    expect(metrics.bleu).toBe(live.bleu);
    expect(metrics.sentences).toBeGreaterThan(0);
    const other = createNmtTask({ ...options, maxLength: 4 }, () => Promise.resolve(raw));
    await expect(
      evaluateCheckpoint(
        other,
        bytes,
        h,
        'validation',
        evaluationContext(0, () => undefined),
      ),
    ).rejects.toThrow(ConfigError);
  });

  it('translateCheckpoint shows the first pairs of a split with the saved member’s translations', async () => {
    const s = await task.create(h, ctx(0, 4));
    await task.train(s, h, 20, ctx(0, 4));
    const bytes = await task.save(s);
    const examples = await task.translateCheckpoint(
      bytes,
      'validation',
      3,
      evaluationContext(0, () => undefined),
    );
    expect(examples).toHaveLength(3);
    for (const e of examples) {
      // Sources are a-words, references and translations b-words (or empty), as in the corpus.
      expect(e.source).toMatch(/^a\d( a\d)*$/);
      expect(e.reference).toMatch(/^b\d( b\d)*$/);
      expect(e.translation).toMatch(/^(b\d( b\d)*)?$/);
    }
    await task.dispose?.(s);
  });
});
