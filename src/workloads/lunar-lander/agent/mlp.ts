import { PbtError } from '../../../engine/core/errors.js';
import type { Rng } from '../../../engine/core/rng.js';

/**
 * A small fully connected network (ReLU hidden layers, linear output) in plain TypeScript.
 *
 * Why not TensorFlow.js: a Deep Double Sarsa update touches one transition through a 8→64→64→4
 * network (~5,000 weights); at that size the per-op dispatch of TensorFlow.js costs far more than
 * the arithmetic (measured in bench/dds-update.ts). All parameters live in one flat
 * Float64Array so that copying a network, Adam and checkpoints are single array operations.
 *
 * Layout of layer l (fanIn → fanOut): weights row-major [fanOut][fanIn], then fanOut biases.
 */
export class Mlp {
  readonly sizes: readonly number[];
  readonly paramCount: number;
  /** Offset of each layer's weights in the flat parameter array. */
  private readonly offsets: number[];
  /** Activations of every layer for the last `forward` (index 0 = input). */
  private readonly acts: Float64Array[];
  /** Backprop buffers, one per layer. */
  private readonly deltas: Float64Array[];

  constructor(sizes: readonly number[]) {
    if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new PbtError(
        'MLP_SHAPE',
        `an MLP needs at least an input and an output size, all positive integers; got [${sizes.join(', ')}]`,
      );
    }
    this.sizes = [...sizes];
    this.offsets = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.offsets.push(offset);
      offset += (sizes[l] ?? 0) * (sizes[l + 1] ?? 0) + (sizes[l + 1] ?? 0);
    }
    this.paramCount = offset;
    this.acts = sizes.map((n) => new Float64Array(n));
    this.deltas = sizes.map((n) => new Float64Array(n));
  }

  get inputSize(): number {
    return this.sizes[0] ?? 0;
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1] ?? 0;
  }

  /** He-uniform weights (suited to ReLU), zero biases; deterministic for a given rng. */
  init(rng: Rng): Float64Array {
    const params = new Float64Array(this.paramCount);
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const fanIn = this.sizes[l] ?? 1;
      const fanOut = this.sizes[l + 1] ?? 1;
      const limit = Math.sqrt(6 / fanIn);
      const w = this.offsets[l] ?? 0;
      for (let k = 0; k < fanIn * fanOut; k++) params[w + k] = (2 * rng.next() - 1) * limit;
    }
    return params;
  }

  /**
   * Outputs for input `x`, written into `out` (a new array when omitted). The activations are
   * kept for a following `backward` on the same parameters.
   */
  forward(params: Float64Array, x: ArrayLike<number>, out?: Float64Array): Float64Array {
    const a0 = this.acts[0] as Float64Array;
    for (let i = 0; i < a0.length; i++) a0[i] = x[i] ?? 0;
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      const input = this.acts[l] as Float64Array;
      const output = this.acts[l + 1] as Float64Array;
      const fanIn = input.length;
      const fanOut = output.length;
      const w = this.offsets[l] ?? 0;
      const b = w + fanIn * fanOut;
      const hidden = l + 1 < layers;
      for (let j = 0; j < fanOut; j++) {
        let sum = params[b + j] ?? 0;
        const row = w + j * fanIn;
        for (let i = 0; i < fanIn; i++) sum += (params[row + i] ?? 0) * (input[i] ?? 0);
        output[j] = hidden && sum < 0 ? 0 : sum;
      }
    }
    const last = this.acts[layers] as Float64Array;
    const result = out ?? new Float64Array(last.length);
    result.set(last);
    return result;
  }

  /**
   * Adds ∂L/∂params to `grad` given ∂L/∂output `dOut`, for the input of the last `forward`
   * (which must have used the same `params`).
   */
  backward(params: Float64Array, dOut: ArrayLike<number>, grad: Float64Array): void {
    const layers = this.sizes.length - 1;
    const top = this.deltas[layers] as Float64Array;
    for (let j = 0; j < top.length; j++) top[j] = dOut[j] ?? 0;
    for (let l = layers - 1; l >= 0; l--) {
      const input = this.acts[l] as Float64Array;
      const delta = this.deltas[l + 1] as Float64Array;
      const below = this.deltas[l] as Float64Array;
      const fanIn = input.length;
      const fanOut = delta.length;
      const w = this.offsets[l] ?? 0;
      const b = w + fanIn * fanOut;
      if (l > 0) below.fill(0);
      for (let j = 0; j < fanOut; j++) {
        const d = delta[j] ?? 0;
        if (d === 0) continue;
        grad[b + j] = (grad[b + j] ?? 0) + d;
        const row = w + j * fanIn;
        for (let i = 0; i < fanIn; i++) {
          grad[row + i] = (grad[row + i] ?? 0) + d * (input[i] ?? 0);
          if (l > 0) below[i] = (below[i] ?? 0) + d * (params[row + i] ?? 0);
        }
      }
      // ReLU derivative: the hidden activation was clamped at 0 where its pre-activation was < 0.
      if (l > 0) for (let i = 0; i < fanIn; i++) if ((input[i] ?? 0) <= 0) below[i] = 0;
    }
  }
}
