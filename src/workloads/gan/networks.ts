import * as tf from '@tensorflow/tfjs';
import {
  batchNormTrain,
  initialValues,
  makeVariables,
  sigmoidCrossEntropy,
  type ParamSpec,
} from './layers.js';
import type { Rng } from '../../engine/core/rng.js';

/** Sizes of the two networks (32×32×3 images). */
export interface GanShape {
  /** Length of the noise vector. */
  readonly noiseDim: number;
  /** Generator filters of its last hidden layer (doubling towards the 4×4 start: 4g, 2g, g). */
  readonly genFilters: number;
  /** Discriminator filters of its first conv (then 2d, 4d). */
  readonly discFilters: number;
}

const K = 4; // kernel size of every (transposed) convolution, stride 2, 'same' padding

/**
 * DCGAN-style generator: noise → dense to 4×4×4g → BN → ReLU → transposed conv (stride 2) to
 * 8×8×2g → BN → ReLU → 16×16×g → BN → ReLU → 32×32×3 → tanh.
 */
export function generatorSpecs(s: GanShape): ParamSpec[] {
  const g = s.genFilters;
  return [
    { name: 'g.dense.w', shape: [s.noiseDim, 16 * 4 * g], init: 'normal' },
    { name: 'g.dense.b', shape: [16 * 4 * g], init: 'zeros' },
    { name: 'g.bn0.gamma', shape: [4 * g], init: 'ones' },
    { name: 'g.bn0.beta', shape: [4 * g], init: 'zeros' },
    // conv2dTranspose filters are [k, k, outChannels, inChannels].
    { name: 'g.up1.w', shape: [K, K, 2 * g, 4 * g], init: 'normal' },
    { name: 'g.bn1.gamma', shape: [2 * g], init: 'ones' },
    { name: 'g.bn1.beta', shape: [2 * g], init: 'zeros' },
    { name: 'g.up2.w', shape: [K, K, g, 2 * g], init: 'normal' },
    { name: 'g.bn2.gamma', shape: [g], init: 'ones' },
    { name: 'g.bn2.beta', shape: [g], init: 'zeros' },
    { name: 'g.up3.w', shape: [K, K, 3, g], init: 'normal' },
    { name: 'g.up3.b', shape: [3], init: 'zeros' },
  ];
}

/**
 * The report's discriminator: Conv2D → LeakyReLU → Conv2D → BatchNorm → LeakyReLU → Conv2D →
 * BatchNorm → LeakyReLU → dense output (one logit). Convs are 4×4, stride 2: 32 → 16 → 8 → 4.
 */
export function discriminatorSpecs(s: GanShape): ParamSpec[] {
  const d = s.discFilters;
  return [
    { name: 'd.conv1.w', shape: [K, K, 3, d], init: 'normal' },
    { name: 'd.conv1.b', shape: [d], init: 'zeros' },
    { name: 'd.conv2.w', shape: [K, K, d, 2 * d], init: 'normal' },
    { name: 'd.bn2.gamma', shape: [2 * d], init: 'ones' },
    { name: 'd.bn2.beta', shape: [2 * d], init: 'zeros' },
    { name: 'd.conv3.w', shape: [K, K, 2 * d, 4 * d], init: 'normal' },
    { name: 'd.bn3.gamma', shape: [4 * d], init: 'ones' },
    { name: 'd.bn3.beta', shape: [4 * d], init: 'zeros' },
    { name: 'd.out.w', shape: [16 * 4 * d, 1], init: 'normal' },
    { name: 'd.out.b', shape: [1], init: 'zeros' },
  ];
}

export interface Gan {
  readonly shape: GanShape;
  readonly generator: tf.Variable[];
  readonly discriminator: tf.Variable[];
}

export function initialGanWeights(
  shape: GanShape,
  rng: Rng,
): { generator: Float32Array[]; discriminator: Float32Array[] } {
  return {
    generator: initialValues(generatorSpecs(shape), rng),
    discriminator: initialValues(discriminatorSpecs(shape), rng),
  };
}

export function createGan(
  shape: GanShape,
  weights: { generator: readonly Float32Array[]; discriminator: readonly Float32Array[] },
): Gan {
  return {
    shape,
    generator: makeVariables(generatorSpecs(shape), weights.generator, 'generator'),
    discriminator: makeVariables(discriminatorSpecs(shape), weights.discriminator, 'discriminator'),
  };
}

export function disposeGan(gan: Gan): void {
  tf.dispose([...gan.generator, ...gan.discriminator]);
}

const at = (vars: readonly tf.Variable[], i: number): tf.Variable => vars[i] as tf.Variable;

/** Images in [-1, 1], [n, 32, 32, 3], from noise [n, noiseDim]. */
export function generate(gan: Gan, noise: tf.Tensor2D): tf.Tensor4D {
  const v = gan.generator;
  const g = gan.shape.genFilters;
  const n = noise.shape[0];
  let h = tf.reshape<tf.Rank.R4>(tf.add(tf.matMul(noise, at(v, 0)), at(v, 1)), [n, 4, 4, 4 * g]);
  h = tf.relu(batchNormTrain(h, at(v, 2), at(v, 3)));
  h = tf.conv2dTranspose(h, at(v, 4) as tf.Tensor4D, [n, 8, 8, 2 * g], 2, 'same');
  h = tf.relu(batchNormTrain(h, at(v, 5), at(v, 6)));
  h = tf.conv2dTranspose(h, at(v, 7) as tf.Tensor4D, [n, 16, 16, g], 2, 'same');
  h = tf.relu(batchNormTrain(h, at(v, 8), at(v, 9)));
  h = tf.conv2dTranspose(h, at(v, 10) as tf.Tensor4D, [n, 32, 32, 3], 2, 'same');
  return tf.tanh(tf.add(h, at(v, 11)));
}

/** One logit per image ("real"). */
export function discriminate(gan: Gan, images: tf.Tensor4D, slope = 0.2): tf.Tensor2D {
  const v = gan.discriminator;
  const n = images.shape[0];
  let h = tf.add<tf.Tensor4D>(tf.conv2d(images, at(v, 0) as tf.Tensor4D, 2, 'same'), at(v, 1));
  h = tf.leakyRelu(h, slope);
  h = tf.conv2d(h, at(v, 2) as tf.Tensor4D, 2, 'same');
  h = tf.leakyRelu(batchNormTrain(h, at(v, 3), at(v, 4)), slope);
  h = tf.conv2d(h, at(v, 5) as tf.Tensor4D, 2, 'same');
  h = tf.leakyRelu(batchNormTrain(h, at(v, 6), at(v, 7)), slope);
  const flat = tf.reshape<tf.Rank.R2>(h, [n, -1]);
  return tf.add(tf.matMul(flat, at(v, 8)), at(v, 9));
}

/** Discriminator loss: real images → 1, generated → 0 (the generated batch is held constant). */
export function discriminatorLoss(gan: Gan, real: tf.Tensor4D, fake: tf.Tensor4D): tf.Scalar {
  return tf.add(
    sigmoidCrossEntropy(discriminate(gan, real), true),
    sigmoidCrossEntropy(discriminate(gan, fake), false),
  );
}

/** Non-saturating generator loss: generated images → 1. */
export function generatorLoss(gan: Gan, noise: tf.Tensor2D): tf.Scalar {
  return sigmoidCrossEntropy(discriminate(gan, generate(gan, noise)), true);
}
