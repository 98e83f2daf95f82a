import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../engine/core/rng.js';

/**
 * Small functional building blocks on plain variables (no tf.layers): the GAN and the score
 * classifier keep their parameters as ordered variable lists, which is what checkpoints and the
 * two optimizers' explicit `varList`s need.
 */

/** A named parameter to create: shape and how to initialise it. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** 'normal': N(0, std²); 'zeros'; 'ones'. */
  readonly init: 'normal' | 'zeros' | 'ones';
  readonly std?: number;
}

export function initialValues(specs: readonly ParamSpec[], rng: Rng): Float32Array[] {
  return specs.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (s.init === 'ones') data.fill(1);
    else if (s.init === 'normal') {
      const std = s.std ?? 0.02;
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    return data;
  });
}

export function makeVariables(
  specs: readonly ParamSpec[],
  values: readonly Float32Array[],
  prefix: string,
): tf.Variable[] {
  if (values.length !== specs.length) {
    throw new RangeError(`${prefix}: ${values.length} arrays for ${specs.length} parameters`);
  }
  return specs.map((s, i) => {
    // tf.variable keeps its own reference to the data: the initial tensor would otherwise leak.
    const initial = tf.tensor(values[i] as Float32Array, [...s.shape], 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose();
    return variable;
  });
}

/** Batch normalisation over N, H, W with the batch's own statistics (training mode, always). */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon = 1e-5,
): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(
    x,
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
    beta as tf.Tensor1D,
    gamma as tf.Tensor1D,
    epsilon,
  );
}

/** log(1 + exp(x)), stable for large |x|, built from ops every backend differentiates. */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

/** Mean sigmoid cross-entropy of logits against a constant label 1 (`real`) or 0. */
export function sigmoidCrossEntropy(logits: tf.Tensor, real: boolean): tf.Scalar {
  return tf.mean(softplus(real ? tf.neg(logits) : logits));
}

/** Uint8 NHWC pixels at `indices` as floats in [-1, 1]. */
export function pixelBatch(
  images: Uint8Array,
  indices: ArrayLike<number>,
  pixelsPerImage: number,
  shape: readonly [number, number, number],
): tf.Tensor4D {
  const out = new Float32Array(indices.length * pixelsPerImage);
  for (let i = 0; i < indices.length; i++) {
    const src = (indices[i] as number) * pixelsPerImage;
    for (let k = 0; k < pixelsPerImage; k++) {
      out[i * pixelsPerImage + k] = (images[src + k] as number) / 127.5 - 1;
    }
  }
  return tf.tensor4d(out, [indices.length, ...shape]);
}
