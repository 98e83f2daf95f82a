import * as tf from '@tensorflow/tfjs';
import type * as tfType from '@tensorflow/tfjs';
import { PbtError } from '../../engine/core/errors.js';

/**
 * Model weights + optimizer state <-> one Uint8Array, bit-exact.
 *
 * Layout (little-endian): 4 bytes magic "PBT1", uint32 header byte length, the header as UTF-8
 * JSON padded with spaces to a multiple of 4, then the raw float32/int32 data of every tensor
 * in header order. Tensors are restored by position (layer names differ between two builds of
 * the same architecture in one process), with shapes checked.
 */

export interface NamedTensor {
  readonly name: string;
  readonly tensor: tfType.Tensor;
}

export type SavedDType = 'float32' | 'int32';

export interface SavedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: SavedDType;
  /** A private copy: safe to hand to tf.tensor on the cpu backend, which shares memory. */
  readonly data: Float32Array | Int32Array;
}

/** Everything an optimizer needs to continue exactly where it was. */
export interface OptimizerSnapshot {
  readonly kind: 'adam' | 'sgd' | 'momentum';
  /** Hyperparameters at save time (JSON numbers round-trip float64 exactly). */
  readonly config: Readonly<Record<string, number | boolean>>;
  readonly iterations: number;
  /** Adam: beta1^t and beta2^t as the optimizer accumulated them (float32 products). */
  readonly accBeta1?: number;
  readonly accBeta2?: number;
  /** Per trained variable, in update order: Adam first moments then second moments; momentum accumulations. */
  readonly slots: readonly SavedTensor[];
}

export interface CheckpointInput {
  /** Tensors to save (e.g. `modelTensors(model)`); restored by position. */
  readonly tensors: readonly NamedTensor[];
  /** Optimizers by a name of the caller's choosing (a GAN has two). */
  readonly optimizers?: Readonly<Record<string, tfType.Optimizer>>;
  /** Task data: step counters, sampler state, ... (JSON). */
  readonly meta?: unknown;
}

export interface DecodedCheckpoint {
  readonly tensors: readonly SavedTensor[];
  readonly optimizers: Readonly<Record<string, OptimizerSnapshot>>;
  readonly meta: unknown;
}

const MAGIC = 0x31544250; // "PBT1" read as a little-endian uint32
const FORMAT_VERSION = 1;

interface HeaderTensor {
  name: string;
  shape: number[];
  dtype: SavedDType;
}

interface HeaderOptimizer {
  kind: OptimizerSnapshot['kind'];
  config: Record<string, number | boolean>;
  iterations: number;
  accBeta1?: number;
  accBeta2?: number;
  slots: HeaderTensor[];
}

interface Header {
  version: number;
  tensors: HeaderTensor[];
  optimizers: Record<string, HeaderOptimizer>;
  meta: unknown;
}

/** A model's weights (trainable and not, e.g. batchnorm statistics) in `model.weights` order. */
export function modelTensors(model: tfType.LayersModel, prefix = ''): NamedTensor[] {
  return model.weights.map((w) => ({ name: prefix + w.originalName, tensor: w.read() }));
}

/** Serializes tensors, optimizer state and meta into one buffer. */
export async function encodeCheckpoint(input: CheckpointInput): Promise<Uint8Array> {
  const blobs: { header: HeaderTensor; data: Float32Array | Int32Array }[] = [];
  const addTensor = async (name: string, tensor: tfType.Tensor): Promise<HeaderTensor> => {
    const header: HeaderTensor = {
      name,
      shape: [...tensor.shape],
      dtype: savedDtype(name, tensor.dtype),
    };
    blobs.push({ header, data: (await tensor.data()) as Float32Array | Int32Array });
    return header;
  };
  const tensors: HeaderTensor[] = [];
  for (const t of input.tensors) tensors.push(await addTensor(t.name, t.tensor));
  const optimizers: Record<string, HeaderOptimizer> = {};
  for (const [key, optimizer] of Object.entries(input.optimizers ?? {})) {
    const state = optimizerState(optimizer, key);
    const slots: HeaderTensor[] = [];
    for (const s of state.slots) slots.push(await addTensor(s.name, s.tensor));
    const entry: HeaderOptimizer = {
      kind: state.kind,
      config: state.config,
      iterations: state.iterations,
      slots,
    };
    if (state.accBeta1 !== undefined) entry.accBeta1 = (await state.accBeta1.data())[0]!;
    if (state.accBeta2 !== undefined) entry.accBeta2 = (await state.accBeta2.data())[0]!;
    optimizers[key] = entry;
  }
  const header: Header = { version: FORMAT_VERSION, tensors, optimizers, meta: input.meta ?? null };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 4) * 4;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const dataBytes = blobs.reduce((sum, b) => sum + b.data.byteLength, 0);
  const out = new Uint8Array(8 + json.length + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  out.set(json, 8);
  let offset = 8 + json.length;
  for (const b of blobs) {
    out.set(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength), offset);
    offset += b.data.byteLength;
  }
  return out;
}

/** Parses a buffer written by `encodeCheckpoint`; every array returned is a private copy. */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  if (bytes.length < 8) throw corrupt('shorter than its 8-byte preamble');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt('bad magic (not a pbt tfjs checkpoint)');
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) throw corrupt('header runs past the end');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Header;
  } catch (err) {
    throw corrupt(`header is not JSON (${String(err)})`);
  }
  if (header.version !== FORMAT_VERSION)
    throw corrupt(`format version ${header.version} is not supported`);
  let offset = 8 + headerLength;
  const read = (h: HeaderTensor): SavedTensor => {
    const count = h.shape.reduce((a, b) => a * b, 1);
    const byteLength = count * 4;
    if (offset + byteLength > bytes.length) throw corrupt(`data of ${h.name} runs past the end`);
    // slice() copies (and aligns): the result never aliases the caller's buffer.
    const raw = bytes.slice(offset, offset + byteLength).buffer;
    offset += byteLength;
    const data = h.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    return { name: h.name, shape: h.shape, dtype: h.dtype, data };
  };
  const tensors = header.tensors.map(read);
  const optimizers: Record<string, OptimizerSnapshot> = {};
  for (const [key, o] of Object.entries(header.optimizers)) {
    optimizers[key] = { ...o, slots: o.slots.map(read) };
  }
  if (offset !== bytes.length) throw corrupt(`${bytes.length - offset} trailing bytes`);
  return { tensors, optimizers, meta: header.meta };
}

/** Writes saved tensors into existing variables/model weights, by position, checking shapes. */
export function assignTensors(
  targets: readonly NamedTensor[],
  saved: readonly SavedTensor[],
  start = 0,
): number {
  if (start + targets.length > saved.length) {
    throw mismatch(
      `checkpoint has ${saved.length - start} tensors from position ${start}, need ${targets.length}`,
    );
  }
  targets.forEach((target, i) => {
    const s = saved[start + i]!;
    if (!sameShape(s.shape, target.tensor.shape)) {
      throw mismatch(
        `tensor ${i} (${target.name}): checkpoint shape [${s.shape.join(',')}] vs model [${target.tensor.shape.join(',')}]`,
      );
    }
  });
  tf.tidy(() => {
    targets.forEach((target, i) => {
      const s = saved[start + i]!;
      const variable = target.tensor as tfType.Variable;
      if (typeof variable.assign !== 'function') throw mismatch(`${target.name} is not a variable`);
      variable.assign(tf.tensor(s.data.slice(), [...s.shape], s.dtype));
    });
  });
  return start + targets.length;
}

/** Loads a model's weights saved with `modelTensors(model)` at position `start`; returns the next position. */
export function loadModelWeights(
  model: tfType.LayersModel,
  saved: readonly SavedTensor[],
  start = 0,
): number {
  return assignTensors(modelTensors(model), saved, start);
}

/**
 * A fresh optimizer in exactly the saved state (its next step equals the uninterrupted one).
 * Leaves no tensors behind besides the optimizer's own variables (freed by its dispose()).
 */
export function restoreOptimizer(snapshot: OptimizerSnapshot): tfType.Optimizer {
  const c = snapshot.config;
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number') throw mismatch(`optimizer config lacks ${k}`);
    return v;
  };
  // Each in a tidy: the initial tensor is released, the variable (which holds its own
  // reference to the data) is kept.
  const slotVariables = (): OptimizerSlot[] =>
    snapshot.slots.map((s) => ({
      originalName: s.name,
      variable: tf.tidy(() => tf.tensor(s.data.slice(), [...s.shape], s.dtype).variable(false)),
    }));
  switch (snapshot.kind) {
    case 'sgd': {
      const opt = tf.train.sgd(num('learningRate'));
      setIterations(opt, snapshot.iterations);
      return opt;
    }
    case 'momentum': {
      const opt = tf.train.momentum(
        num('learningRate'),
        num('momentum'),
        c['useNesterov'] === true,
      );
      (opt as unknown as MomentumInternals).accumulations = slotVariables();
      setIterations(opt, snapshot.iterations);
      return opt;
    }
    case 'adam': {
      const opt = tf.train.adam(num('learningRate'), num('beta1'), num('beta2'), num('epsilon'));
      const internals = opt as unknown as AdamInternals;
      const slots = slotVariables();
      const half = slots.length / 2;
      internals.accumulatedFirstMoment = slots.slice(0, half);
      internals.accumulatedSecondMoment = slots.slice(half);
      // Restore beta^t as accumulated (float32 products), not recomputed with pow: bit-exact.
      const { accBeta1, accBeta2 } = snapshot;
      tf.tidy(() => {
        if (accBeta1 !== undefined) internals.accBeta1.assign(tf.scalar(accBeta1));
        if (accBeta2 !== undefined) internals.accBeta2.assign(tf.scalar(accBeta2));
      });
      setIterations(opt, snapshot.iterations);
      return opt;
    }
  }
}

// --- optimizer internals (tfjs-core 4.22, pinned) -------------------------------------------

interface OptimizerSlot {
  originalName: string;
  variable: tfType.Variable;
}
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tfType.Variable;
  accBeta2: tfType.Variable;
  accumulatedFirstMoment: OptimizerSlot[];
  accumulatedSecondMoment: OptimizerSlot[];
}
interface MomentumInternals {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: OptimizerSlot[];
}

interface OptimizerState {
  kind: OptimizerSnapshot['kind'];
  config: Record<string, number | boolean>;
  iterations: number;
  accBeta1?: tfType.Tensor;
  accBeta2?: tfType.Tensor;
  slots: NamedTensor[];
}

/** The optimizer's class name as tfjs registers it ('Adam', 'SGD', 'Momentum', ...). */
export function optimizerKind(optimizer: tfType.Optimizer): string {
  return (optimizer.constructor as { className?: string }).className ?? optimizer.getClassName();
}

function optimizerState(optimizer: tfType.Optimizer, key: string): OptimizerState {
  const kind = optimizerKind(optimizer);
  const slotTensors = (slots: readonly OptimizerSlot[]): NamedTensor[] =>
    slots.map((s) => ({ name: s.originalName, tensor: s.variable }));
  switch (kind) {
    case 'Adam': {
      const a = optimizer as unknown as AdamInternals;
      if (a.accumulatedFirstMoment.length !== a.accumulatedSecondMoment.length) {
        throw new PbtError(
          'CHECKPOINT_UNSUPPORTED',
          `optimizer ${key}: Adam moments are out of step`,
        );
      }
      return {
        kind: 'adam',
        config: {
          learningRate: a.learningRate,
          beta1: a.beta1,
          beta2: a.beta2,
          epsilon: a.epsilon,
        },
        iterations: optimizer.iterations,
        accBeta1: a.accBeta1,
        accBeta2: a.accBeta2,
        slots: [
          ...slotTensors(a.accumulatedFirstMoment),
          ...slotTensors(a.accumulatedSecondMoment),
        ],
      };
    }
    case 'Momentum': {
      const m = optimizer as unknown as MomentumInternals;
      return {
        kind: 'momentum',
        config: { learningRate: m.learningRate, momentum: m.momentum, useNesterov: m.useNesterov },
        iterations: optimizer.iterations,
        slots: slotTensors(m.accumulations),
      };
    }
    case 'SGD': {
      const s = optimizer as unknown as { learningRate: number };
      return {
        kind: 'sgd',
        config: { learningRate: s.learningRate },
        iterations: optimizer.iterations,
        slots: [],
      };
    }
    default:
      throw new PbtError(
        'CHECKPOINT_UNSUPPORTED',
        `optimizer ${key}: saving ${kind} state is not supported (use Adam, SGD or momentum)`,
      );
  }
}

function setIterations(optimizer: tfType.Optimizer, iterations: number): void {
  (optimizer as unknown as { iterations_: number }).iterations_ = iterations;
}

function savedDtype(name: string, dtype: tfType.DataType): SavedDType {
  if (dtype === 'float32' || dtype === 'int32') return dtype;
  throw new PbtError(
    'CHECKPOINT_UNSUPPORTED',
    `tensor ${name}: dtype ${dtype} cannot be checkpointed`,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function corrupt(why: string): PbtError {
  return new PbtError('CHECKPOINT_FORMAT', `not a valid tfjs checkpoint: ${why}`);
}

function mismatch(why: string): PbtError {
  return new PbtError('CHECKPOINT_MISMATCH', `checkpoint does not fit the model: ${why}`);
}
