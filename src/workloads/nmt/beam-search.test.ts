import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/rng.js';
import { EOS_ID } from '../datasets/vocabulary.js';
import { initBackend } from '../tfjs/backend.js';
import { beamDecode, normalisedScore } from './beam-search.js';
import {
  createSeq2Seq,
  disposeSeq2Seq,
  greedyDecode,
  initialSeq2SeqWeights,
  lossInputs,
  teacherForcedLoss,
  trainingBatch,
  type Seq2Seq,
} from './model.js';
import { createNmtTask } from './nmt-task.js';
import { parseNmtOptions } from './options.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** log p(target + <EOS> | source) by teacher forcing: an independent path through the model. */
function logProbOf(model: Seq2Seq, source: readonly number[], target: readonly number[]): number {
  const batch = trainingBatch([source], [[...target, EOS_ID]]);
  const inputs = lossInputs(batch);
  const mean = tf.tidy(() => teacherForcedLoss(model, batch, inputs, 0, 0).dataSync()[0] as number);
  tf.dispose([inputs.rows, inputs.labels]);
  return -mean * (target.length + 1);
}

/** A model trained briefly on "reverse the words" so that it has preferences worth searching. */
async function trainedModel(): Promise<{
  model: Seq2Seq;
  sources: number[][];
  dispose: () => void;
}> {
  const rng = createRng('beam-test');
  const corpus = (n: number): string[][][] => {
    const source: string[][] = [];
    const target: string[][] = [];
    for (let i = 0; i < n; i++) {
      const ids = Array.from({ length: 2 + rng.int(4) }, () => rng.int(10));
      source.push(ids.map((k) => `a${k}`));
      target.push([...ids].reverse().map((k) => `b${k}`));
    }
    return [source, target];
  };
  const [source, target] = corpus(300) as [string[][], string[][]];
  const [vs, vt] = corpus(30) as [string[][], string[][]];
  const options = parseNmtOptions({
    backend: 'wasm',
    embedding: 12,
    hidden: 16,
    batchSize: 16,
    maxLength: 8,
    evalUnseen: false,
  });
  const task = createNmtTask(options, () =>
    Promise.resolve({ train: { source, target }, valid: { source: vs, target: vt } }),
  );
  const ctx = { experimentId: 't', memberId: 0, seed: 3, rng: createRng('ctx', 3), step: 0 };
  const state = await task.create({ lr: 0.01, dropout: 0.1 }, { ...ctx, log: () => undefined });
  await task.train(state, { lr: 0.01, dropout: 0.1 }, 40, { ...ctx, log: () => undefined });
  return {
    model: state.model,
    sources: state.data.valid.sources.map((s) => [...s]),
    dispose: () => void task.dispose?.(state),
  };
}

describe('beam search', () => {
  it('with beam 1 is exactly greedy decoding', async () => {
    const { model, sources, dispose } = await trainedModel();
    const greedy = greedyDecode(model, sources, 9);
    const beam = beamDecode(model, sources, { beam: 1, maxLength: 9, lengthPenalty: 0.6 });
    expect(beam.map((h) => h.ids)).toEqual(greedy);
    // Also on an untrained model, whose translations hit the length limit.
    const shape = { sourceVocab: 14, targetVocab: 14, embedding: 6, hidden: 8 };
    const raw = createSeq2Seq(shape, initialSeq2SeqWeights(shape, createRng('raw', 1)));
    const few = [[4, 5, EOS_ID], [6, EOS_ID], [EOS_ID]];
    expect(
      beamDecode(raw, few, { beam: 1, maxLength: 4, lengthPenalty: 0 }).map((h) => h.ids),
    ).toEqual(greedyDecode(raw, few, 4));
    disposeSeq2Seq(raw);
    dispose();
  });

  it('finds translations at least as likely under the model as greedy ones, and leaks nothing', async () => {
    const { model, sources, dispose } = await trainedModel();
    const before = tf.memory().numTensors;
    const greedy = greedyDecode(model, sources, 9);
    for (const alpha of [0, 0.6]) {
      const beam = beamDecode(model, sources, { beam: 4, maxLength: 9, lengthPenalty: alpha });
      let better = 0;
      beam.forEach((hyp, i) => {
        const source = sources[i] as number[];
        const g = greedy[i] as number[];
        expect(hyp.finished).toBe(true);
        // The beam's own bookkeeping agrees with teacher forcing.
        expect(hyp.logProb).toBeCloseTo(logProbOf(model, source, hyp.ids), 3);
        expect(hyp.score).toBeCloseTo(normalisedScore(hyp.logProb, hyp.ids.length + 1, alpha), 6);
        const greedyScore = normalisedScore(logProbOf(model, source, g), g.length + 1, alpha);
        expect(hyp.score).toBeGreaterThanOrEqual(greedyScore - 1e-4);
        if (hyp.score > greedyScore + 1e-4) better++;
      });
      // Not a vacuous comparison: the search changes some translations.
      if (alpha === 0) expect(better).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });

  it('normalises by length with GNMT’s penalty', () => {
    expect(normalisedScore(-6, 7, 0)).toBe(-6);
    expect(normalisedScore(-6, 1, 1)).toBe(-6);
    expect(normalisedScore(-6, 7, 1)).toBe(-3);
  });
});
