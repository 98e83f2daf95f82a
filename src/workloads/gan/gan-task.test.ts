import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateSaved } from '../tfjs/test-helpers.js';
import { createRng } from '../../engine/core/rng.js';
import type { ImageDataset } from '../datasets/index.js';
import { initBackend } from '../tfjs/backend.js';
import { testContext } from '../image-classification/test-fixtures.js';
import { parseExperimentConfig } from '../../engine/config/experiment-config.js';
import { truncationGroups } from '../../engine/strategies/exploit.js';
import { ensureScoreClassifier } from './ensure-classifier.js';
import {
  createGanTask,
  GAN_FIXED,
  ganTaskDefinition,
  generateImages,
  type GanResources,
  type GanState,
} from './gan-task.js';
import { classifierScorer } from './image-scorer.js';
import { initialValues, makeVariables } from './layers.js';
import { parseGanOptions } from './options.js';
import {
  classifierSpecs,
  loadScoreClassifier,
  saveScoreClassifier,
  type ScoreClassifier,
} from './score-classifier.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

beforeAll(async () => {
  await initBackend('wasm');
});

/** 32 random 32×32×3 images: blobs of two colours, so the data are not pure noise. */
function syntheticImages(count: number): ImageDataset {
  const rng = createRng('gan-test-images');
  const images = new Uint8Array(count * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(rng.next() * 256);
  return {
    images,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    height: 32,
    width: 32,
    channels: 3,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
  };
}

function tinyClassifier(): ScoreClassifier {
  const shape = { filters: 2, features: 4, classes: 10 };
  const specs = classifierSpecs(shape);
  return {
    shape,
    variables: makeVariables(specs, initialValues(specs, createRng('tiny-classifier')), 'c'),
    testAccuracy: Number.NaN,
    trainSteps: 0,
  };
}

const classifier = tinyClassifier();
const resources: GanResources = {
  train: syntheticImages(32),
  scorer: classifierScorer(classifier),
  realFit: null,
};
const options = parseGanOptions({
  backend: 'wasm',
  batchSize: 8,
  noiseDim: 8,
  genFilters: 4,
  discFilters: 4,
  scoreSamples: 64,
});
const task = createGanTask(options, () => Promise.resolve(resources));
const h = { lrG: 2e-3, lrD: 2e-3 };
const snapshot = (vars: tf.Variable[]): Float32Array[] =>
  vars.map((v) => Float32Array.from(v.dataSync()));

describe('gan task', () => {
  it('generates 32×32×3 images in [-1, 1]', async () => {
    const s = await task.create(h, testContext());
    const images = generateImages(s.gan, 10, 8);
    expect(images.shape).toEqual([10, 32, 32, 3]);
    const data = images.dataSync();
    let min = Infinity;
    let max = -Infinity;
    for (const x of data) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0);
    images.dispose();
    await task.dispose?.(s);
  });

  it('one training step changes both networks; scores are finite and in [1, 10]', async () => {
    const s = await task.create(h, testContext());
    const g0 = snapshot(s.gan.generator);
    const d0 = snapshot(s.gan.discriminator);
    await task.train(s, h, 1, testContext());
    const g1 = snapshot(s.gan.generator);
    const d1 = snapshot(s.gan.discriminator);
    expect(g1.some((w, i) => w.some((x, k) => x !== g0[i]![k]))).toBe(true);
    expect(d1.some((w, i) => w.some((x, k) => x !== d0[i]![k]))).toBe(true);
    const m = await task.evaluate(s, testContext());
    expect(m.score).toBeGreaterThanOrEqual(1);
    expect(m.score).toBeLessThanOrEqual(10);
    expect(Number.isFinite(m.dLoss)).toBe(true);
    expect(Number.isFinite(m.gLoss)).toBe(true);
    await task.dispose?.(s);
  });

  it('a checkpoint round trip (both networks, both Adams) continues identically', async () => {
    const a = await task.create(h, testContext(2, 5));
    await task.train(a, h, 2, testContext(2, 5));
    const bytes = await task.save(a);
    await task.train(a, h, 2, testContext(2, 5, 2));
    const b = await task.load(bytes, h, testContext(2, 5, 2));
    expect(b.modelSteps).toBe(2);
    await task.train(b, h, 2, testContext(2, 5, 2));
    expect(snapshot(b.gan.generator)).toEqual(snapshot(a.gan.generator));
    expect(snapshot(b.gan.discriminator)).toEqual(snapshot(a.gan.discriminator));
    expect(await task.evaluate(b, testContext())).toEqual(await task.evaluate(a, testContext()));
    await task.dispose?.(a);
    await task.dispose?.(b);
  });

  it('changes the learning rates in place and leaks no tensors', async () => {
    const baseline = tf.memory().numTensors;
    const s: GanState = await task.create(GAN_FIXED, testContext());
    await task.train(s, GAN_FIXED, 1, testContext());
    await task.evaluate(s, testContext());
    const before = tf.memory().numTensors;
    const h2 = { lrG: 1e-3, lrD: 5e-4 };
    const optG = s.optG;
    await task.train(s, h2, 2, testContext());
    await task.evaluate(s, testContext());
    expect(s.optG).toBe(optG);
    expect((s.optG as unknown as { learningRate: number }).learningRate).toBe(1e-3);
    expect((s.optD as unknown as { learningRate: number }).learningRate).toBe(5e-4);
    expect(tf.memory().numTensors).toBe(before);
    const bytes = await task.save(s);
    await task.dispose?.(s);
    const loaded = await task.load(bytes, h2, testContext());
    await task.train(loaded, h2, 1, testContext());
    await task.dispose?.(loaded);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a diverged member scores NaN and stops training', async () => {
    const s = await task.create(h, testContext());
    tf.tidy(() => s.gan.generator[0]!.assign(tf.fill(s.gan.generator[0]!.shape, Number.NaN)));
    await task.train(s, h, 3, testContext());
    expect(s.diverged).toBe(true);
    expect(s.modelSteps).toBe(1);
    const m = await task.evaluate(s, testContext());
    expect(m.score).toBeNaN();
    expect(m.diverged).toBe(1);
    await task.dispose?.(s);
  });

  it('the score classifier round-trips through its cache file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gan-classifier-'));
    try {
      const file = join(dir, 'c.bin');
      await saveScoreClassifier(classifier, file);
      const loaded = await loadScoreClassifier(file);
      expect(loaded.shape).toEqual(classifier.shape);
      expect(snapshot(loaded.variables)).toEqual(snapshot(classifier.variables));
      tf.dispose(loaded.variables);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('two workers ensuring a missing classifier train it once and load the same weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gan-classifier-'));
    try {
      const file = join(dir, 'c.bin');
      let loads = 0;
      const data = syntheticImages(128);
      const getData = (): Promise<{ train: ImageDataset; test: ImageDataset }> => {
        loads++;
        return Promise.resolve({ train: data, test: data });
      };
      const o = { path: file, steps: 2, log: (): void => undefined, pollMs: 5 };
      const [a, b] = await Promise.all([
        ensureScoreClassifier(getData as never, o),
        ensureScoreClassifier(getData as never, o),
      ]);
      expect(loads).toBe(1);
      expect(a.trainSteps).toBe(2);
      expect(snapshot(a.variables)).toEqual(snapshot(b.variables));
      tf.dispose([...a.variables, ...b.variables]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('gan experiment defaults', () => {
  it('exploit: bottom/top 20 %, at least one member once two have scores', () => {
    const { exploit } = parseExperimentConfig({ ...ganTaskDefinition.defaults, task: 'gan' });
    if (exploit.kind !== 'truncation') throw new Error('expected truncation selection');
    expect(truncationGroups(exploit, 1)).toBeNull();
    expect(truncationGroups(exploit, 2)).toEqual({ bottom: 1, top: 1 });
    expect(truncationGroups(exploit, 6)).toEqual({ bottom: 1, top: 1 });
    expect(truncationGroups(exploit, 20)).toEqual({ bottom: 4, top: 4 });
  });

  it('evaluateCheckpoint scores a saved generator like evaluate does, and frees its tensors', async () => {
    const s = await task.create(h, testContext());
    await task.train(s, h, 2, testContext());
    const live = await task.evaluate(s, testContext());
    const { metrics, leaked } = await evaluateSaved(task, s, h, 'test');
    expect(leaked).toBe(0);
    expect(metrics.score).toBeCloseTo(live.score, 5);
    expect(metrics.modelSteps).toBe(2);
  });
});
