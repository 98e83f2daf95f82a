import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../engine/core/rng.js';
import type { ImageDataset } from '../datasets/index.js';
import { decodeCheckpoint, encodeCheckpoint, assignTensors } from '../tfjs/checkpoint.js';
import { BatchSampler, trainStep } from '../tfjs/train-loop.js';
import { initialValues, makeVariables, pixelBatch, type ParamSpec } from './layers.js';

/**
 * The small CIFAR-10 conv classifier behind the GAN's "classifier score" (the Inception-Score
 * formula with this network instead of Inception-v3) and its Fréchet distance (features of the
 * penultimate layer). Inputs are images in [-1, 1], like the generator's output.
 *
 * conv 3×3 (c) → ReLU → max-pool 2 → conv 3×3 (2c) → ReLU → max-pool 2 → dense (f) → ReLU
 * [features] → dense 10.
 */
export interface ClassifierShape {
  readonly filters: number;
  readonly features: number;
  readonly classes: number;
}

export const DEFAULT_CLASSIFIER_SHAPE: ClassifierShape = {
  filters: 32,
  features: 128,
  classes: 10,
};

export function classifierSpecs(s: ClassifierShape): ParamSpec[] {
  const c = s.filters;
  const he = (fanIn: number): number => Math.sqrt(2 / fanIn);
  return [
    { name: 'c.conv1.w', shape: [3, 3, 3, c], init: 'normal', std: he(27) },
    { name: 'c.conv1.b', shape: [c], init: 'zeros' },
    { name: 'c.conv2.w', shape: [3, 3, c, 2 * c], init: 'normal', std: he(9 * c) },
    { name: 'c.conv2.b', shape: [2 * c], init: 'zeros' },
    { name: 'c.fc.w', shape: [64 * 2 * c, s.features], init: 'normal', std: he(128 * c) },
    { name: 'c.fc.b', shape: [s.features], init: 'zeros' },
    { name: 'c.out.w', shape: [s.features, s.classes], init: 'normal', std: he(s.features) / 2 },
    { name: 'c.out.b', shape: [s.classes], init: 'zeros' },
  ];
}

export interface ScoreClassifier {
  readonly shape: ClassifierShape;
  readonly variables: tf.Variable[];
  /** Test accuracy measured when it was trained (NaN if not measured). */
  readonly testAccuracy: number;
  readonly trainSteps: number;
}

const v = (c: ScoreClassifier, i: number): tf.Variable => c.variables[i] as tf.Variable;

/** Penultimate-layer features [n, features] of images in [-1, 1]. */
export function classifierFeatures(c: ScoreClassifier, images: tf.Tensor4D): tf.Tensor2D {
  let h = tf.relu(tf.add(tf.conv2d(images, v(c, 0) as tf.Tensor4D, 1, 'same'), v(c, 1)));
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, v(c, 2) as tf.Tensor4D, 1, 'same'), v(c, 3)));
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
  const flat = tf.reshape<tf.Rank.R2>(h, [images.shape[0], -1]);
  return tf.relu(tf.add(tf.matMul(flat, v(c, 4)), v(c, 5)));
}

export function classifierLogits(c: ScoreClassifier, features: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(features, v(c, 6)), v(c, 7));
}

/** Class probabilities and features of images in [-1, 1], as flat arrays (run in batches). */
export function classify(
  c: ScoreClassifier,
  images: tf.Tensor4D,
  batchSize = 250,
): { probs: Float32Array; features: Float32Array } {
  const n = images.shape[0];
  const probs = new Float32Array(n * c.shape.classes);
  const features = new Float32Array(n * c.shape.features);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [p, f] = tf.tidy(() => {
      const x = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const feats = classifierFeatures(c, x);
      return [tf.softmax(classifierLogits(c, feats)), feats];
    });
    probs.set(p.dataSync(), start * c.shape.classes);
    features.set(f.dataSync(), start * c.shape.features);
    tf.dispose([p, f]);
  }
  return { probs, features };
}

export function disposeClassifier(c: ScoreClassifier): void {
  tf.dispose(c.variables);
}

export interface TrainClassifierOptions {
  readonly shape?: ClassifierShape;
  readonly steps: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  /** Test images to measure accuracy on (0 = none). */
  readonly testExamples?: number;
  readonly log?: (message: string) => void;
}

/** Trains the classifier (Adam, random horizontal flips) and measures its test accuracy. */
export async function trainScoreClassifier(
  train: ImageDataset,
  test: ImageDataset,
  o: TrainClassifierOptions,
): Promise<ScoreClassifier> {
  const shape = o.shape ?? DEFAULT_CLASSIFIER_SHAPE;
  const seed = o.seed ?? 0;
  const specs = classifierSpecs(shape);
  const variables = makeVariables(
    specs,
    initialValues(specs, createRng('classifier', seed)),
    'classifier',
  );
  const partial: ScoreClassifier = {
    shape,
    variables,
    testAccuracy: Number.NaN,
    trainSteps: o.steps,
  };
  const optimizer = tf.train.adam(o.learningRate ?? 1e-3);
  const sampler = new BatchSampler(train.count, seed);
  const flipRng = createRng('classifier-flip', seed);
  const pixels = train.height * train.width * train.channels;
  const imgShape = [train.height, train.width, train.channels] as const;
  const batchSize = o.batchSize ?? 64;
  let recent = 0;
  const started = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const indices = sampler.next(batchSize);
    const flip = flipRng.next() < 0.5;
    const x = tf.tidy(() => {
      const b = pixelBatch(train.images, indices, pixels, imgShape);
      return flip ? tf.reverse(b, 2) : b;
    });
    const labels = tf.tensor1d(
      Array.from(indices, (i) => train.labels[i] as number),
      'int32',
    );
    const y = tf.oneHot(labels, shape.classes);
    const loss = trainStep(
      optimizer,
      () =>
        tf.losses.softmaxCrossEntropy(y, classifierLogits(partial, classifierFeatures(partial, x))),
      variables,
    );
    tf.dispose([x, labels, y]);
    recent += loss;
    if ((step + 1) % 200 === 0) {
      o.log?.(
        `classifier step ${step + 1}/${o.steps}: loss ${(recent / 200).toFixed(3)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
      recent = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  optimizer.dispose();
  const testCount = Math.min(o.testExamples ?? test.count, test.count);
  const testAccuracy = testCount > 0 ? classifierAccuracy(partial, test, testCount) : Number.NaN;
  return { ...partial, testAccuracy };
}

/** Fraction of the first `count` images of `ds` classified correctly. */
export function classifierAccuracy(c: ScoreClassifier, ds: ImageDataset, count: number): number {
  const pixels = ds.height * ds.width * ds.channels;
  let correct = 0;
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const idx = Int32Array.from({ length: n }, (_, i) => start + i);
    const pred = tf.tidy(() =>
      tf.argMax(
        classifierLogits(
          c,
          classifierFeatures(
            c,
            pixelBatch(ds.images, idx, pixels, [ds.height, ds.width, ds.channels]),
          ),
        ),
        1,
      ),
    );
    const labels = pred.dataSync();
    pred.dispose();
    for (let i = 0; i < n; i++) if (labels[i] === ds.labels[start + i]) correct++;
  }
  return correct / count;
}

interface ClassifierMeta {
  readonly format: 'gan-score-classifier/1';
  readonly shape: ClassifierShape;
  readonly testAccuracy: number | null;
  readonly trainSteps: number;
}

/** The classifier as checkpoint bytes (variables and meta data: shape, accuracy, steps). */
export async function encodeScoreClassifier(c: ScoreClassifier): Promise<Uint8Array> {
  const meta: ClassifierMeta = {
    format: 'gan-score-classifier/1',
    shape: c.shape,
    testAccuracy: Number.isFinite(c.testAccuracy) ? c.testAccuracy : null,
    trainSteps: c.trainSteps,
  };
  return encodeCheckpoint({
    tensors: c.variables.map((t, i) => ({ name: `c${i}`, tensor: t })),
    meta,
  });
}

export async function saveScoreClassifier(c: ScoreClassifier, file: string): Promise<void> {
  const bytes = await encodeScoreClassifier(c);
  await mkdir(dirname(file), { recursive: true });
  // Atomic: a concurrent reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

export async function loadScoreClassifier(file: string): Promise<ScoreClassifier> {
  const decoded = decodeCheckpoint(new Uint8Array(await readFile(file)));
  const meta = decoded.meta as Partial<ClassifierMeta> | null;
  if (meta?.format !== 'gan-score-classifier/1' || meta.shape === undefined) {
    throw new Error(`${file} is not a GAN score classifier`);
  }
  const specs = classifierSpecs(meta.shape);
  const variables = makeVariables(
    specs,
    specs.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1))),
    'classifier',
  );
  assignTensors(
    variables.map((t, i) => ({ name: `c${i}`, tensor: t })),
    decoded.tensors,
  );
  return {
    shape: meta.shape,
    variables,
    testAccuracy: meta.testAccuracy ?? Number.NaN,
    trainSteps: meta.trainSteps ?? 0,
  };
}

/** `$XDG_CACHE_HOME/pbt/models/cifar10-classifier-<steps>.bin` (default `~/.cache/pbt/...`). */
export function defaultClassifierPath(steps: number, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache');
  return join(base, 'pbt', 'models', `cifar10-classifier-${steps}.bin`);
}
