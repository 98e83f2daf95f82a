import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../engine/core/rng.js';
import { BOS_ID, EOS_ID, PAD_ID } from '../datasets/vocabulary.js';
import { sparseSoftmaxCrossEntropy } from '../tfjs/losses.js';

/**
 * GRU encoder-decoder with dot-product (Luong) attention, as plain variables so that a
 * checkpoint is this list of arrays and Adam's slots follow its fixed order:
 *
 *   encoder: embedding → GRU (all outputs + final state)
 *   decoder: embedding → GRU started from the encoder's final state
 *   attention: scores = decoder output · encoder outputs, softmax over source positions
 *   output: tanh(dense([context; decoder output])) → dropout → dense → softmax (vocabulary)
 *
 * The GRU is Keras's variant with `reset_after` (the reset gate multiplies h·U + b_u), with
 * separate input and recurrent biases.
 */
export interface Seq2SeqShape {
  readonly sourceVocab: number;
  readonly targetVocab: number;
  readonly embedding: number;
  readonly hidden: number;
}

export interface Seq2Seq {
  readonly shape: Seq2SeqShape;
  /** In WEIGHT_NAMES order (also the order of Adam's slots and of checkpoints). */
  readonly variables: tf.Variable[];
}

export const WEIGHT_NAMES = [
  'encEmbedding',
  'encKernel',
  'encRecurrent',
  'encBias',
  'encRecurrentBias',
  'decEmbedding',
  'decKernel',
  'decRecurrent',
  'decBias',
  'decRecurrentBias',
  'attnKernel',
  'attnBias',
  'outKernel',
  'outBias',
] as const;

export function seq2seqWeightShapes(s: Seq2SeqShape): number[][] {
  const { embedding: e, hidden: h } = s;
  return [
    [s.sourceVocab, e],
    [e, 3 * h],
    [h, 3 * h],
    [3 * h],
    [3 * h],
    [s.targetVocab, e],
    [e, 3 * h],
    [h, 3 * h],
    [3 * h],
    [3 * h],
    [2 * h, h],
    [h],
    [h, s.targetVocab],
    [s.targetVocab],
  ];
}

/**
 * Initial weights drawn from `rng`: embeddings uniform ±0.05 (Keras), kernels Glorot-uniform,
 * biases zero.
 */
export function initialSeq2SeqWeights(shape: Seq2SeqShape, rng: Rng): Float32Array[] {
  return seq2seqWeightShapes(shape).map((s, i) => {
    const size = s.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (s.length === 1) return data;
    const isEmbedding = i === 0 || i === 5;
    const [fanIn = 1, fanOut = 1] = s;
    const limit = isEmbedding ? 0.05 : Math.sqrt(6 / (fanIn + fanOut));
    for (let k = 0; k < size; k++) data[k] = (2 * rng.next() - 1) * limit;
    return data;
  });
}

export function createSeq2Seq(shape: Seq2SeqShape, weights: readonly Float32Array[]): Seq2Seq {
  const shapes = seq2seqWeightShapes(shape);
  if (weights.length !== shapes.length) {
    throw new Error(`a seq2seq model has ${shapes.length} weight arrays, got ${weights.length}`);
  }
  const variables = shapes.map((s, i) => {
    const data = weights[i] as Float32Array;
    const size = s.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new Error(`weight ${WEIGHT_NAMES[i]}: ${data.length} values for [${s.join(', ')}]`);
    }
    // tf.variable keeps its initial tensor alive as a second handle: dispose that one.
    const initial = tf.tensor(data.slice(), s, 'float32');
    const variable = tf.variable(initial, true, undefined, 'float32');
    initial.dispose();
    return variable;
  });
  return { shape, variables };
}

export function disposeSeq2Seq(model: Seq2Seq): void {
  for (const v of model.variables) v.dispose();
}

interface Weights {
  encEmbedding: tf.Tensor2D;
  encKernel: tf.Tensor2D;
  encRecurrent: tf.Tensor2D;
  encBias: tf.Tensor1D;
  encRecurrentBias: tf.Tensor1D;
  decEmbedding: tf.Tensor2D;
  decKernel: tf.Tensor2D;
  decRecurrent: tf.Tensor2D;
  decBias: tf.Tensor1D;
  decRecurrentBias: tf.Tensor1D;
  attnKernel: tf.Tensor2D;
  attnBias: tf.Tensor1D;
  outKernel: tf.Tensor2D;
  outBias: tf.Tensor1D;
}

function weights(model: Seq2Seq): Weights {
  const out: Record<string, tf.Variable> = {};
  WEIGHT_NAMES.forEach((n, i) => (out[n] = model.variables[i] as tf.Variable));
  return out as unknown as Weights;
}

/** Row-major [batch, length] ids, padded with PAD_ID after each row's last token. */
export interface IdMatrix {
  readonly ids: Int32Array;
  readonly batch: number;
  readonly length: number;
}

/** One GRU step: x·W + b (precomputed as `xw`), h [B, H]. */
function gruStep(
  xw: tf.Tensor2D,
  h: tf.Tensor2D,
  recurrent: tf.Tensor2D,
  recurrentBias: tf.Tensor1D,
): tf.Tensor2D {
  const hu = tf.add(tf.matMul(h, recurrent), recurrentBias);
  const [xz, xr, xh] = tf.split(xw, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hz, hr, hh] = tf.split(hu, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const candidate = tf.tanh(tf.add(xh, tf.mul(r, hh)));
  // h' = z·h + (1 − z)·candidate = candidate + z·(h − candidate)
  return tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
}

/** Embed ids [B, T] and apply the GRU's input kernel and bias: [T] × [B, 3H]. */
function embedAndProject(
  ids: IdMatrix,
  embedding: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
): tf.Tensor2D[] {
  const { batch, length } = ids;
  const x = tf.gather(embedding, tf.tensor1d(ids.ids, 'int32'));
  const xw = tf.add(tf.matMul(x, kernel), bias);
  return tf.unstack(tf.reshape(xw, [batch, length, kernel.shape[1]]), 1) as tf.Tensor2D[];
}

export interface Encoded {
  /** [B, S, H] */
  readonly outputs: tf.Tensor3D;
  /** [B, H]: the state after each row's last real token. */
  readonly state: tf.Tensor2D;
  /** [B, 1, S]: 0 on real source tokens, −1e9 on padding (added to attention scores). */
  readonly maskBias: tf.Tensor3D;
}

/** Runs the encoder; padded positions neither change the state nor receive attention. */
export function encode(model: Seq2Seq, source: IdMatrix): Encoded {
  const w = weights(model);
  const { batch, length } = source;
  const steps = embedAndProject(source, w.encEmbedding, w.encKernel, w.encBias);
  const maskData = new Float32Array(batch * length);
  for (let i = 0; i < maskData.length; i++) maskData[i] = source.ids[i] === PAD_ID ? 0 : 1;
  const mask = tf.tensor2d(maskData, [batch, length]);
  const masks = tf.unstack(mask, 1).map((m) => tf.reshape(m, [batch, 1]));
  let h: tf.Tensor2D = tf.zeros([batch, model.shape.hidden]);
  const outputs: tf.Tensor2D[] = [];
  steps.forEach((xw, t) => {
    const next = gruStep(xw, h, w.encRecurrent, w.encRecurrentBias);
    // Padding keeps the previous state: h ← h + m·(h' − h).
    h = tf.add(h, tf.mul(masks[t] as tf.Tensor, tf.sub(next, h)));
    outputs.push(h);
  });
  const maskBias = tf.reshape<tf.Rank.R3>(tf.mul(tf.sub(mask, 1), 1e9), [batch, 1, length]);
  return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, state: h, maskBias };
}

/** Decoder states [B, T, H] → attentional hidden states [B·T, H] (before dropout). */
function attend(model: Seq2Seq, decoded: tf.Tensor3D, enc: Encoded): tf.Tensor2D {
  const w = weights(model);
  const [batch, steps, hidden] = decoded.shape;
  const scores = tf.add(tf.matMul(decoded, enc.outputs, false, true), enc.maskBias);
  const context = tf.matMul(tf.softmax(scores), enc.outputs);
  const joined = tf.reshape(tf.concat([context, decoded], 2), [batch * steps, 2 * hidden]);
  return tf.tanh(tf.add(tf.matMul(joined, w.attnKernel), w.attnBias));
}

function logitsOf(model: Seq2Seq, hidden: tf.Tensor2D): tf.Tensor2D {
  const w = weights(model);
  return tf.add(tf.matMul(hidden, w.outKernel), w.outBias);
}

export interface TrainingBatch {
  readonly source: IdMatrix;
  /** Decoder inputs: <BOS> y1 … yn (padded). */
  readonly decoderInput: IdMatrix;
  /** Targets: y1 … yn <EOS> (padded, same shape as decoderInput). */
  readonly target: IdMatrix;
}

/** Source and target id rows (target with its <EOS>) → a teacher-forcing batch. */
export function trainingBatch(
  sources: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
): TrainingBatch {
  const batch = sources.length;
  const sLen = Math.max(1, ...sources.map((s) => s.length));
  const tLen = Math.max(1, ...targets.map((t) => t.length));
  const src = new Int32Array(batch * sLen);
  const input = new Int32Array(batch * tLen);
  const target = new Int32Array(batch * tLen);
  for (let b = 0; b < batch; b++) {
    const s = sources[b] as readonly number[];
    const t = targets[b] as readonly number[];
    s.forEach((id, k) => (src[b * sLen + k] = id));
    t.forEach((id, k) => {
      target[b * tLen + k] = id;
      input[b * tLen + k] = k === 0 ? BOS_ID : (t[k - 1] as number);
    });
  }
  return {
    source: { ids: src, batch, length: sLen },
    decoderInput: { ids: input, batch, length: tLen },
    target: { ids: target, batch, length: tLen },
  };
}

/** Index tensors of a batch's loss: which rows reach the output layer and their labels. */
export interface LossInputs {
  /** Positions (row-major in the target matrix) of the real target tokens. */
  readonly rows: tf.Tensor1D;
  readonly labels: tf.Tensor1D;
}

/**
 * Build them outside the loss closure and dispose them after the step: sparseSoftmaxCrossEntropy
 * (src/tfjs/losses.ts) uses its labels in the backward pass without saving them, so labels made
 * inside `optimizer.minimize`'s forward pass are already freed when the gradient runs.
 */
export function lossInputs(batch: TrainingBatch): LossInputs {
  const rows: number[] = [];
  const labels: number[] = [];
  batch.target.ids.forEach((id, i) => {
    if (id !== PAD_ID) {
      rows.push(i);
      labels.push(id);
    }
  });
  return { rows: tf.tensor1d(rows, 'int32'), labels: tf.tensor1d(labels, 'int32') };
}

/**
 * Mean cross-entropy per real target token under teacher forcing. `dropoutRate` applies after
 * the attentional layer, with a mask drawn from `dropoutSeed` (reproducible per step).
 */
export function teacherForcedLoss(
  model: Seq2Seq,
  batch: TrainingBatch,
  inputs: LossInputs,
  dropoutRate: number,
  dropoutSeed: number,
): tf.Scalar {
  const w = weights(model);
  const enc = encode(model, batch.source);
  const steps = embedAndProject(batch.decoderInput, w.decEmbedding, w.decKernel, w.decBias);
  let h = enc.state;
  const states: tf.Tensor2D[] = [];
  for (const xw of steps) {
    h = gruStep(xw, h, w.decRecurrent, w.decRecurrentBias);
    states.push(h);
  }
  const hidden = attend(model, tf.stack(states, 1) as tf.Tensor3D, enc);
  // Only rows of real target tokens reach the (large) output layer.
  let kept = tf.gather(hidden, inputs.rows);
  if (dropoutRate > 0) kept = tf.dropout(kept, dropoutRate, undefined, dropoutSeed) as tf.Tensor2D;
  return sparseSoftmaxCrossEntropy(logitsOf(model, kept), inputs.labels);
}

/**
 * One decoder step for a batch: the previous tokens (`previous`, one per row) and states `h`
 * [B, H] → the new states and the output logits [B, V]. `encoded` must have the same rows.
 */
export function decoderStep(
  model: Seq2Seq,
  previous: Int32Array,
  h: tf.Tensor2D,
  encoded: Encoded,
): { state: tf.Tensor2D; logits: tf.Tensor2D } {
  const w = weights(model);
  const batch = previous.length;
  const [xw] = embedAndProject(
    { ids: previous, batch, length: 1 },
    w.decEmbedding,
    w.decKernel,
    w.decBias,
  );
  const state = gruStep(xw as tf.Tensor2D, h, w.decRecurrent, w.decRecurrentBias);
  const hidden = attend(model, tf.reshape(state, [batch, 1, model.shape.hidden]), encoded);
  return { state, logits: logitsOf(model, hidden) };
}

/** Encode id rows (each with its <EOS>) outside any tidy; the caller disposes the result. */
export function encodeSources(model: Seq2Seq, sources: readonly (readonly number[])[]): Encoded {
  const { source } = trainingBatch(sources, sources);
  let enc: Encoded | undefined;
  tf.tidy(() => {
    const e = encode(model, source);
    enc = e;
    // Kept past the tidy; everything else of the encoder pass is freed.
    return [e.outputs, e.state, e.maskBias];
  });
  if (enc === undefined) throw new Error('unreachable');
  return enc;
}

export function disposeEncoded(enc: Encoded): void {
  tf.dispose([enc.outputs, enc.state, enc.maskBias]);
}

/**
 * Greedy decoding of a batch of sources (id rows with their <EOS>): at most `maxLength` tokens
 * per sentence, a sentence ends at its first <EOS> (not included in the result).
 */
export function greedyDecode(
  model: Seq2Seq,
  sources: readonly (readonly number[])[],
  maxLength: number,
): number[][] {
  const batch = sources.length;
  const out: number[][] = sources.map(() => []);
  if (batch === 0) return out;
  const done = new Array<boolean>(batch).fill(false);
  const encoded = encodeSources(model, sources);
  let h: tf.Tensor2D = encoded.state;
  let previous = new Int32Array(batch).fill(BOS_ID);
  try {
    for (let step = 0; step < maxLength && done.includes(false); step++) {
      const [next, ids] = tf.tidy((): [tf.Tensor2D, tf.Tensor1D] => {
        const { state, logits } = decoderStep(model, previous, h, encoded);
        return [state, tf.argMax<tf.Tensor1D>(logits, 1)];
      });
      if (h !== encoded.state) h.dispose();
      h = next;
      const chosen = ids.dataSync();
      ids.dispose();
      previous = new Int32Array(batch);
      for (let b = 0; b < batch; b++) {
        const id = chosen[b] as number;
        previous[b] = id;
        if (done[b] === true) continue;
        if (id === EOS_ID) done[b] = true;
        else (out[b] as number[]).push(id);
      }
    }
  } finally {
    if (h !== encoded.state) h.dispose();
    disposeEncoded(encoded);
  }
  return out;
}
