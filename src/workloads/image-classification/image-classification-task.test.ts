import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateCheckpoint, evaluationContext } from '../../engine/tasks/evaluate-checkpoint.js';
import { evaluateSaved } from '../tfjs/test-helpers.js';
import { ConfigError } from '../../engine/core/errors.js';
import { prepareExperiment, initialMembers } from '../../engine/setup/prepare-experiment.js';
import { decide } from '../../engine/strategies/decide.js';
import { createRng } from '../../engine/core/rng.js';
import { initBackend } from '../tfjs/backend.js';
import {
  createImageClassificationTask,
  IMAGE_CLASSIFICATION_FIXED,
  type ImageClassificationState,
} from './image-classification-task.js';
import { parseImageClassificationOptions } from './options.js';
import { syntheticSplits, testContext } from './test-fixtures.js';
import { builtInTaskRegistry } from '../index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const splits = syntheticSplits();
const options = parseImageClassificationOptions({
  backend: 'wasm',
  batchSize: 16,
  validation: 100,
});
const task = createImageClassificationTask(options, () => Promise.resolve(splits));
const h = { l1: 1e-5, lr: 3e-3, width: 12 };

const weightsOf = (s: ImageClassificationState): Float32Array[] =>
  s.mlp.variables.map((v) => Float32Array.from(v.dataSync()));
const kernelL1 = (s: ImageClassificationState): number =>
  s.mlp.variables
    .filter((_, i) => i % 2 === 0)
    .reduce((sum, v) => sum + (tf.sum(tf.abs(v)).dataSync()[0] ?? 0), 0);

describe('image-classification task', () => {
  it('learns a small separable problem: validation accuracy from chance to > 0.9', async () => {
    const s = await task.create(h, testContext());
    const before = await task.evaluate(s, testContext());
    await task.train(s, h, 60, testContext());
    const after = await task.evaluate(s, testContext());
    expect(before.score).toBeLessThan(0.6);
    expect(after.score).toBeGreaterThan(0.9);
    expect(after.validationAccuracy).toBe(after.score);
    expect(after.testAccuracy).toBeGreaterThan(0.85);
    expect(Number.isFinite(after.trainLoss)).toBe(true);
    await task.dispose?.(s);
  });

  it('a save/load round trip continues training identically (weights, Adam moments, batch order)', async () => {
    const a = await task.create(h, testContext(3, 7));
    await task.train(a, h, 15, testContext(3, 7));
    const bytes = await task.save(a);
    await task.train(a, h, 15, testContext(3, 7, 15));
    const b = await task.load(bytes, h, testContext(3, 7, 15));
    expect(b.modelSteps).toBe(15);
    await task.train(b, h, 15, testContext(3, 7, 15));
    expect(weightsOf(b)).toEqual(weightsOf(a));
    expect(await task.evaluate(b, testContext())).toEqual(await task.evaluate(a, testContext()));
    await task.dispose?.(a);
    await task.dispose?.(b);
  });

  it('another member loading a checkpoint continues with its own batch order', async () => {
    const a = await task.create(h, testContext(0, 1));
    await task.train(a, h, 5, testContext(0, 1));
    const bytes = await task.save(a);
    const own = await task.load(bytes, h, testContext(0, 1, 5));
    const other = await task.load(bytes, h, testContext(1, 2, 5));
    expect(other.owner).toBe(1);
    expect(own.sampler.next(16)).toEqual(a.sampler.next(16));
    expect(other.sampler.next(16)).not.toEqual(own.sampler.next(16));
    for (const s of [a, own, other]) await task.dispose?.(s);
  });

  it('learning rate and L1 strength change in place, without rebuilding the model', async () => {
    const s = await task.create(h, testContext(0, 5));
    await task.train(s, h, 5, testContext(0, 5));
    const variables = s.mlp.variables;
    const optimizer = s.optimizer;
    // A tiny learning rate barely moves the weights; the same state with a normal one does.
    const w0 = weightsOf(s);
    await task.train(s, { ...h, lr: 1e-9 }, 5, testContext(0, 5, 5));
    const w1 = weightsOf(s);
    await task.train(s, { ...h, lr: 3e-3 }, 5, testContext(0, 5, 10));
    const w2 = weightsOf(s);
    const maxDiff = (a: Float32Array[], b: Float32Array[]): number =>
      Math.max(...a.map((x, i) => Math.max(...x.map((v, k) => Math.abs(v - b[i]![k]!)))));
    expect(maxDiff(w0, w1)).toBeLessThan(1e-6);
    expect(maxDiff(w1, w2)).toBeGreaterThan(1e-3);
    expect((s.optimizer as unknown as { learningRate: number }).learningRate).toBe(3e-3);
    // (the optimizer reads this field at every step: see src/tfjs/hparams.ts)
    // A strong L1 penalty shrinks the kernels; without it they grow while fitting.
    const before = kernelL1(s);
    await task.train(s, { ...h, lr: 1e-2, l1: 0 }, 30, testContext(0, 5, 15));
    const free = kernelL1(s);
    await task.train(s, { ...h, lr: 1e-2, l1: 1e-1 }, 30, testContext(0, 5, 45));
    const penalised = kernelL1(s);
    expect(free).toBeGreaterThan(before * 0.95);
    expect(penalised).toBeLessThan(free * 0.7);
    // Same variables and optimizer objects throughout.
    expect(s.mlp.variables).toBe(variables);
    expect(s.optimizer).toBe(optimizer);
    await task.dispose?.(s);
  });

  it('a different width on load widens without changing predictions, then keeps training', async () => {
    const s = await task.create(h, testContext(0, 9));
    await task.train(s, h, 20, testContext(0, 9));
    const bytes = await task.save(s);
    const logitsOf = (state: ImageClassificationState): Float32Array =>
      tf
        .tidy(() => {
          const x = tf.tensor2d(
            new Float32Array(4 * 36).map((_, i) => Math.sin(i)),
            [4, 36],
          );
          let hdn: tf.Tensor2D = x;
          const v = state.mlp.variables;
          for (let l = 0; l < state.mlp.shape.hidden; l++) {
            hdn = tf.relu(tf.add(tf.matMul(hdn, v[2 * l]!), v[2 * l + 1]!));
          }
          const n = state.mlp.shape.hidden;
          return tf.add(tf.matMul(hdn, v[2 * n]!), v[2 * n + 1]!);
        })
        .dataSync() as Float32Array;
    const wide = await task.load(bytes, { ...h, width: 20 }, testContext(1, 3, 20));
    expect(wide.mlp.shape.width).toBe(20);
    expect(wide.mlp.variables[0]!.shape).toEqual([36, 20]);
    const before = logitsOf(s);
    const after = logitsOf(wide);
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 5);
    expect((await task.evaluate(wide, testContext())).score).toBe(
      (await task.evaluate(s, testContext())).score,
    );
    await task.train(wide, { ...h, width: 20 }, 10, testContext(1, 3, 20));
    // The same state object is resized in place when a worker reuses it with another width.
    await task.train(wide, { ...h, width: 8 }, 5, testContext(1, 3, 30));
    expect(wide.mlp.variables[2]!.shape).toEqual([8, 8]);
    expect((await task.evaluate(wide, testContext())).score).toBeGreaterThan(0.8);
    await task.dispose?.(s);
    await task.dispose?.(wide);
  });

  it('leaks no tensors over many steps, ready points, saves, loads and resizes', async () => {
    const s = await task.create(h, testContext(0, 11));
    await task.train(s, h, 1, testContext(0, 11));
    const baseline = tf.memory().numTensors;
    for (let r = 0; r < 5; r++) {
      await task.train(s, h, 60, testContext(0, 11));
      await task.evaluate(s, testContext());
      await task.save(s);
    }
    expect(tf.memory().numTensors).toBe(baseline);
    const bytes = await task.save(s);
    for (let r = 0; r < 3; r++) {
      const t = await task.load(bytes, { ...h, width: 12 + 4 * r }, testContext(2, r));
      await task.train(t, { ...h, width: 10 }, 2, testContext(2, r));
      await task.dispose?.(t);
    }
    expect(tf.memory().numTensors).toBe(baseline);
    await task.dispose?.(s);
    expect(tf.memory().numTensors).toBeLessThan(baseline);
  });

  it('rejects a checkpoint of another data set', async () => {
    const rgb = syntheticSplits({ channels: 3 });
    const rgbTask = createImageClassificationTask(options, () => Promise.resolve(rgb));
    const s = await rgbTask.create(h, testContext());
    const bytes = await rgbTask.save(s);
    await rgbTask.dispose?.(s);
    await expect(task.load(bytes, h, testContext())).rejects.toThrow(
      /108 inputs and 3 classes, but the data set has 36 and 3/,
    );
    await expect(task.load(new Uint8Array(12), h, testContext())).rejects.toThrow(/checkpoint/);
  });
});

describe('image-classification options and defaults', () => {
  it('bad options give a ConfigError naming the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ dataset: 'mnist' }, /taskOptions\.dataset/],
      [{ batchSize: 0 }, /taskOptions\.batchSize/],
      [{ validation: -5 }, /taskOptions\.validation/],
      [{ backend: 'gpu' }, /taskOptions\.backend/],
      [{ widht: 3 }, /unknown option widht/],
    ];
    for (const [raw, message] of bad) {
      let error: unknown;
      try {
        parseImageClassificationOptions(raw);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
    }
    expect(parseImageClassificationOptions({})).toMatchObject({
      dataset: 'fashion-mnist',
      batchSize: 128,
      validation: 5000,
    });
  });

  it("the registered task's defaults are the report's setting and build without loading data", async () => {
    const prepared = await prepareExperiment(
      {
        task: 'image-classification',
        taskOptions: { dataset: 'cifar10', dataPath: '/nonexistent' },
      },
      builtInTaskRegistry(),
    );
    const c = prepared.config;
    expect(c.population).toBe(10);
    expect(c.budget.steps).toBe(50_000);
    expect(c.ready.every).toBe(100);
    expect(c.explore.noise).toEqual({ sigma: 0.5, params: ['l1'] });
    expect(Object.keys(prepared.space).sort()).toEqual(['l1', 'lr', 'width']);
    // Truncation 0.3 of 10 ranked members: exactly the 3 worst copy one of the 3 best.
    const population = Array.from({ length: 10 }, (_, id) => ({
      id,
      step: 100,
      score: id / 10,
      lastFailed: false,
      hparams: IMAGE_CLASSIFICATION_FIXED,
      checkpoint: `c${id}`,
      status: 'running' as const,
    }));
    const cfg = { exploit: c.exploit, explore: c.explore };
    for (const self of population) {
      const d = decide(self, population, cfg, prepared.space, createRng('d', self.id));
      if (self.id <= 2) {
        expect(d.kind).toBe('exploit');
        if (d.kind === 'exploit') {
          expect(d.donor).toBeGreaterThanOrEqual(7);
          expect(d.operations.join(' ')).toMatch(/l1 .*N\(0,0.5\) log10/);
        }
      } else expect(d.kind).toBe('continue');
    }
    const fixed = await prepareExperiment(
      {
        task: 'image-classification',
        method: 'fixed',
        population: 3,
      },
      builtInTaskRegistry(),
    );
    expect(initialMembers(fixed)).toEqual([
      IMAGE_CLASSIFICATION_FIXED,
      IMAGE_CLASSIFICATION_FIXED,
      IMAGE_CLASSIFICATION_FIXED,
    ]);
  });

  it('evaluateCheckpoint scores a saved member on validation and test without a member context', async () => {
    const s = await task.create(h, testContext(2, 5));
    await task.train(s, h, 40, testContext(2, 5));
    const live = await task.evaluate(s, testContext());
    const { metrics: validation, bytes, leaked } = await evaluateSaved(task, s, h, 'validation');
    expect(leaked).toBe(0);
    expect(validation.score).toBe(live.validationAccuracy);
    const ctx = evaluationContext(0, () => undefined);
    const test = await evaluateCheckpoint(task, bytes, h, 'test', ctx);
    expect(test.examples).toBe(splits.test.count);
    expect(test.score).toBeGreaterThan(0.5);
    await expect(evaluateCheckpoint(task, bytes, h, 'train', ctx)).rejects.toThrow(
      /no split "train"; use one of validation, test/,
    );
  });
});
