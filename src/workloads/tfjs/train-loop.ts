import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../engine/core/rng.js';
import { PbtError } from '../../engine/core/errors.js';

/**
 * A custom training step (`optimizer.minimize` over a loss closure) with batches built on demand
 * from plain typed arrays. Measured faster than `model.fit` on wasm (9-44 %), and keeping a data
 * set as a Uint8Array instead of a float32 tensor saves ~140 MB per worker on Fashion-MNIST.
 */

/** N examples stored row-major: example i is data[i*size .. (i+1)*size) with size = prod(exampleShape). */
export interface ExampleArray {
  readonly data: Float32Array | Uint8Array | Int32Array;
  readonly exampleShape: readonly number[];
  /** Tensor dtype of a batch (default: int32 for Int32Array data, float32 otherwise). */
  readonly dtype?: 'float32' | 'int32';
  /** Multiplier applied while building float32 batches, e.g. 1/255 for Uint8 pixels. */
  readonly scale?: number;
}

export function exampleCount(arr: ExampleArray): number {
  const size = exampleSize(arr);
  if (size === 0 || arr.data.length % size !== 0) {
    throw new PbtError(
      'DATA',
      `data length ${arr.data.length} is not a multiple of the example size ${size}`,
    );
  }
  return arr.data.length / size;
}

function exampleSize(arr: ExampleArray): number {
  return arr.exampleShape.reduce((a, b) => a * b, 1);
}

/** The examples at `indices` as one [indices.length, ...exampleShape] tensor. */
export function gatherBatch(arr: ExampleArray, indices: ArrayLike<number>): tf.Tensor {
  const size = exampleSize(arr);
  const dtype = arr.dtype ?? (arr.data instanceof Int32Array ? 'int32' : 'float32');
  const out =
    dtype === 'int32'
      ? new Int32Array(indices.length * size)
      : new Float32Array(indices.length * size);
  const scale = arr.scale ?? 1;
  for (let b = 0; b < indices.length; b++) {
    const start = indices[b]! * size;
    const row = arr.data.subarray(start, start + size);
    if (scale === 1 || dtype === 'int32') out.set(row, b * size);
    else for (let k = 0; k < size; k++) out[b * size + k] = row[k]! * scale;
  }
  return tf.tensor(out, [indices.length, ...arr.exampleShape], dtype);
}

/** JSON-serializable position of a sampler, for checkpoints. */
export interface SamplerState {
  readonly epoch: number;
  readonly position: number;
}

/**
 * Seeded shuffled minibatches: a fresh permutation per epoch from (seed, epoch), so the state is
 * two numbers and a restored sampler continues with exactly the same batches.
 */
export class BatchSampler {
  private order: Int32Array;
  private epoch_: number;
  private position: number;

  constructor(
    readonly size: number,
    private readonly seed: string | number,
    state: SamplerState = { epoch: 0, position: 0 },
  ) {
    if (!Number.isInteger(size) || size <= 0)
      throw new PbtError('DATA', `a sampler needs examples, got ${size}`);
    this.epoch_ = state.epoch;
    this.position = state.position;
    this.order = this.permutation(this.epoch_);
  }

  get epoch(): number {
    return this.epoch_;
  }

  state(): SamplerState {
    return { epoch: this.epoch_, position: this.position };
  }

  /** Indices of the next batch; an epoch's tail is completed from the next epoch's order. */
  next(batchSize: number): Int32Array {
    const out = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      if (this.position >= this.size) {
        this.epoch_++;
        this.position = 0;
        this.order = this.permutation(this.epoch_);
      }
      out[i] = this.order[this.position++]!;
    }
    return out;
  }

  private permutation(epoch: number): Int32Array {
    const rng = createRng('batch-sampler', this.seed, epoch);
    const p = new Int32Array(this.size);
    for (let i = 0; i < p.length; i++) p[i] = i;
    for (let i = p.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/**
 * One optimizer step on `loss` over `varList` (pass it explicitly: without it tfjs trains every
 * trainable variable in the process, other models included, and Adam's per-variable slots are
 * positional). Returns the loss value.
 */
export function trainStep(
  optimizer: tf.Optimizer,
  loss: () => tf.Scalar,
  varList: tf.Variable[],
): number {
  const cost = optimizer.minimize(loss, true, varList);
  if (cost === null) throw new PbtError('TRAIN', 'optimizer.minimize returned no loss');
  const value = cost.dataSync()[0]!;
  cost.dispose();
  return value;
}

/** The trainable variables of a model, in a stable order (for `trainStep` and checkpoints). */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

export interface TrainStepsOptions {
  readonly optimizer: tf.Optimizer;
  readonly varList: tf.Variable[];
  readonly sampler: BatchSampler;
  readonly batchSize: number;
  readonly steps: number;
  /** Builds the batch tensors from indices (they are disposed after the step). */
  readonly makeBatch: (indices: Int32Array) => tf.Tensor[];
  /** The loss of one batch; read hyperparameters (dropout, L2, ...) here so changes apply at once. */
  readonly loss: (batch: tf.Tensor[]) => tf.Scalar;
  /** Called after each step with its index and loss. */
  readonly onStep?: (step: number, loss: number) => void;
  /** Yield to the event loop at least this often (ms) so heartbeats and I/O run; default 100. */
  readonly yieldEveryMs?: number;
}

/** Runs `steps` training steps; returns the mean loss. */
export async function trainSteps(
  o: TrainStepsOptions,
): Promise<{ meanLoss: number; steps: number }> {
  let total = 0;
  const yieldEvery = o.yieldEveryMs ?? 100;
  let lastYield = performance.now();
  for (let step = 0; step < o.steps; step++) {
    if (performance.now() - lastYield >= yieldEvery) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    const batch = o.makeBatch(o.sampler.next(o.batchSize));
    let value: number;
    try {
      value = trainStep(o.optimizer, () => o.loss(batch), o.varList);
    } finally {
      tf.dispose(batch);
    }
    total += value;
    o.onStep?.(step, value);
  }
  return { meanLoss: o.steps === 0 ? Number.NaN : total / o.steps, steps: o.steps };
}
