import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../engine/core/errors.js';
import { createRng } from '../../engine/core/rng.js';
import type { SearchSpace } from '../../engine/core/space-types.js';
import type { Hparams, Metrics } from '../../engine/core/types.js';
import { loadCifar10, type Cifar10, type ImageDataset } from '../datasets/index.js';
import { classifierScore } from './classifier-score.js';
import { frechetDistance, gaussianFit, type GaussianFit } from './frechet.js';
import { ensureBackend } from '../tfjs/ensure-backend.js';
import { decodeCheckpoint, restoreOptimizer } from '../tfjs/checkpoint.js';
import {
  adoptOwnership,
  samplerSeedOf,
  checkTaskMeta,
  encodeTaskCheckpoint,
  hparamNumber,
} from '../tfjs/task-kit.js';
import { setLearningRate } from '../tfjs/hparams.js';
import { BatchSampler, trainStep, type SamplerState } from '../tfjs/train-loop.js';
import type {
  EvaluationContext,
  Task,
  TaskContext,
  TaskDefinition,
} from '../../engine/tasks/task.js';
import { ensureScoreClassifier } from './ensure-classifier.js';
import { classifierScorer, type ImageScorer } from './image-scorer.js';
import { pixelBatch } from './layers.js';
import {
  createGan,
  discriminatorLoss,
  disposeGan,
  generate,
  generatorLoss,
  initialGanWeights,
  type Gan,
  type GanShape,
} from './networks.js';
import { parseGanOptions, type GanOptions } from './options.js';
import { loadTfjsModelScorer } from './tfjs-model-scorer.js';

/** The tuned hyperparameters: the two Adam learning rates. */
export const GAN_SPACE: SearchSpace = {
  lrG: { type: 'loguniform', min: 1e-5, max: 1e-2 },
  lrD: { type: 'loguniform', min: 1e-5, max: 1e-2 },
};

/** The common DCGAN setting, the fixed baseline (`--method fixed`). */
export const GAN_FIXED: Hparams = { lrG: 2e-4, lrD: 2e-4 };

/** Adam's β1 for both networks (DCGAN). */
export const GAN_BETA1 = 0.5;

/** What the task needs besides the model: training images, the scoring network, real features. */
export interface GanResources {
  readonly train: ImageDataset;
  /** Our CIFAR-10 classifier, or a local TF.js model such as Inception-v3 (`scoreModel`). */
  readonly scorer: ImageScorer;
  /** Gaussian fit of the scorer's features of real test images (null: no Fréchet distance). */
  readonly realFit: GaussianFit | null;
}

export interface GanState {
  res: GanResources;
  gan: Gan;
  optG: tf.Optimizer;
  optD: tf.Optimizer;
  sampler: BatchSampler;
  samplerSeed: number;
  owner: number;
  modelSteps: number;
  lastDLoss: number;
  lastGLoss: number;
  /** A loss became non-finite: training stops, the score is NaN until exploit replaces it. */
  diverged: boolean;
}

interface CheckpointMeta {
  readonly format: 'gan/1';
  readonly shape: GanShape;
  readonly generatorTensors: number;
  readonly owner: number;
  readonly samplerSeed: number;
  readonly sampler: SamplerState;
  readonly modelSteps: number;
  readonly lastDLoss: number | null;
  readonly lastGLoss: number | null;
  readonly diverged: boolean;
}

/** Real CIFAR-10 test images' features, fitted once; logs the real-data ceiling of the score. */
function realStatistics(
  scorer: ImageScorer,
  test: ImageDataset,
  count: number,
  log: (m: string) => void,
): GaussianFit | null {
  const n = Math.min(count, test.count);
  if (n < 2) return null;
  const pixels = test.height * test.width * test.channels;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const images = pixelBatch(test.images, idx, pixels, [test.height, test.width, test.channels]);
  const { probs, features } = scorer.classify(images);
  images.dispose();
  log(
    `${scorer.name} of ${n} real CIFAR-10 test images (the ceiling): ${classifierScore(probs, scorer.classes).toFixed(3)}`,
  );
  return gaussianFit(features, scorer.featureDim);
}

/** The scoring network: the user's local TF.js model, else our cached CIFAR-10 classifier. */
async function createScorer(
  options: GanOptions,
  data: () => Promise<Cifar10>,
  log: (m: string) => void,
): Promise<ImageScorer> {
  if (options.scoreModel === undefined) {
    const classifier = await ensureScoreClassifier(data, {
      path: options.classifierPath,
      steps: options.classifierSteps,
      log,
    });
    return classifierScorer(classifier);
  }
  const scorer = await loadTfjsModelScorer(options.scoreModel, {
    inputSize: options.scoreModelInputSize,
    range: options.scoreModelRange,
    featureLayer: options.scoreModelFeatureLayer,
  });
  log(
    `score model ${options.scoreModel}: ${scorer.classes} classes, ${scorer.featureDim}-d features; the score is the ${scorer.name}`,
  );
  return scorer;
}

/** Resources from the real data set and the cached classifier, once per process. */
function cifarResources(options: GanOptions): (ctx: EvaluationContext) => Promise<GanResources> {
  let cached: Promise<GanResources> | undefined;
  return (ctx) => {
    cached ??= (async () => {
      let data: Promise<Cifar10> | undefined;
      const getData = (): Promise<Cifar10> =>
        (data ??= loadCifar10(options.dataPath === undefined ? {} : { path: options.dataPath }));
      const scorer = await createScorer(options, getData, (m) => ctx.log(m));
      const { train, test } = await getData();
      const realFit =
        options.frechetRealExamples > 0
          ? realStatistics(scorer, test, options.frechetRealExamples, (m) => ctx.log(m))
          : null;
      return { train, scorer, realFit };
    })();
    cached.catch(() => (cached = undefined));
    return cached;
  };
}

const POSITIVE = { positive: true };

/** Standard normal noise [n, dim] from a seeded stream. */
function noiseBatch(n: number, dim: number, ...seed: (string | number)[]): tf.Tensor2D {
  const rng = createRng(...seed);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tf.tensor2d(data, [n, dim]);
}

/**
 * A DCGAN-style GAN on CIFAR-10 (section 4.2 of the report). Tuned: the generator's and the
 * discriminator's Adam learning rates. Score: the classifier score of generated images (the
 * Inception-Score formula with our own CIFAR-10 classifier); a diverged member scores NaN.
 */
export function createGanTask(
  options: GanOptions,
  resources?: (ctx: EvaluationContext) => Promise<GanResources>,
): Task<GanState> {
  const getResources = resources ?? cifarResources(options);
  const shape: GanShape = {
    noiseDim: options.noiseDim,
    genFilters: options.genFilters,
    discFilters: options.discFilters,
  };
  const prepare = async (ctx: EvaluationContext): Promise<GanResources> => {
    await ensureBackend(options.backend, ctx);
    return getResources(ctx);
  };

  const adopt = (state: GanState, h: Hparams, ctx: TaskContext): void => {
    // Copied weights continue with this member's own batch order and noise.
    adoptOwnership(state, ctx, (seed) => new BatchSampler(state.res.train.count, seed));
    setLearningRate(state.optG, hparamNumber('gan', h, 'lrG', POSITIVE));
    setLearningRate(state.optD, hparamNumber('gan', h, 'lrD', POSITIVE));
  };

  return {
    name: 'gan',
    space: GAN_SPACE,

    async create(h, ctx) {
      const res = await prepare(ctx);
      const samplerSeed = samplerSeedOf(ctx);
      return {
        res,
        gan: createGan(shape, initialGanWeights(shape, ctx.rng)),
        optG: tf.train.adam(hparamNumber('gan', h, 'lrG', POSITIVE), GAN_BETA1),
        optD: tf.train.adam(hparamNumber('gan', h, 'lrD', POSITIVE), GAN_BETA1),
        sampler: new BatchSampler(res.train.count, samplerSeed),
        samplerSeed,
        owner: ctx.memberId,
        modelSteps: 0,
        lastDLoss: Number.NaN,
        lastGLoss: Number.NaN,
        diverged: false,
      };
    },

    async train(state, h, steps, ctx) {
      adopt(state, h, ctx);
      const { train } = state.res;
      const pixels = train.height * train.width * train.channels;
      const imgShape = [train.height, train.width, train.channels] as const;
      const n = options.batchSize;
      let dTotal = 0;
      let gTotal = 0;
      let done = 0;
      let lastYield = performance.now();
      for (let step = 0; step < steps && !state.diverged; step++) {
        if (performance.now() - lastYield >= 100) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        // Noise from (batch order seed, step): a restored member draws exactly the same.
        const noise = noiseBatch(
          n,
          shape.noiseDim,
          'gan-noise',
          state.samplerSeed,
          state.modelSteps,
        );
        const real = pixelBatch(train.images, state.sampler.next(n), pixels, imgShape);
        const fake = tf.tidy(() => generate(state.gan, noise));
        try {
          const d = trainStep(
            state.optD,
            () => discriminatorLoss(state.gan, real, fake),
            state.gan.discriminator,
          );
          const g = trainStep(
            state.optG,
            () => generatorLoss(state.gan, noise),
            state.gan.generator,
          );
          dTotal += d;
          gTotal += g;
          if (!Number.isFinite(d) || !Number.isFinite(g)) {
            state.diverged = true;
            ctx.log(`diverged at step ${state.modelSteps + 1} (D loss ${d}, G loss ${g})`);
          }
        } finally {
          tf.dispose([noise, real, fake]);
        }
        state.modelSteps++;
        done++;
      }
      state.lastDLoss = done > 0 ? dTotal / done : Number.NaN;
      state.lastGLoss = done > 0 ? gTotal / done : Number.NaN;
    },

    evaluate(state) {
      const metrics: Record<string, number> = state.diverged
        ? { score: Number.NaN, [state.res.scorer.metric]: Number.NaN }
        : scoreGenerator(state.gan, state.res, options);
      metrics.dLoss = state.lastDLoss;
      metrics.gLoss = state.lastGLoss;
      metrics.diverged = state.diverged ? 1 : 0;
      return Promise.resolve(metrics as Metrics);
    },

    save(state) {
      const meta: CheckpointMeta = {
        format: 'gan/1',
        shape: state.gan.shape,
        generatorTensors: state.gan.generator.length,
        owner: state.owner,
        samplerSeed: state.samplerSeed,
        sampler: state.sampler.state(),
        modelSteps: state.modelSteps,
        lastDLoss: Number.isFinite(state.lastDLoss) ? state.lastDLoss : null,
        lastGLoss: Number.isFinite(state.lastGLoss) ? state.lastGLoss : null,
        diverged: state.diverged,
      };
      return encodeTaskCheckpoint(
        [
          ...state.gan.generator.map((t, i) => ({ name: `g${i}`, tensor: t })),
          ...state.gan.discriminator.map((t, i) => ({ name: `d${i}`, tensor: t })),
        ],
        { generator: state.optG, discriminator: state.optD },
        meta,
      );
    },

    async load(bytes, h, ctx) {
      const res = await prepare(ctx);
      const decoded = decodeCheckpoint(bytes);
      const m = checkTaskMeta<CheckpointMeta>(decoded.meta, 'gan/1', ['shape']);
      if (JSON.stringify(m.shape) !== JSON.stringify(shape)) {
        throw new ConfigError(
          `checkpoint holds a GAN of shape ${JSON.stringify(m.shape)}, the task options give ${JSON.stringify(shape)}`,
        );
      }
      const data = decoded.tensors.map((t) => t.data as Float32Array);
      const gan = createGan(shape, {
        generator: data.slice(0, m.generatorTensors),
        discriminator: data.slice(m.generatorTensors),
      });
      const snapG = decoded.optimizers['generator'];
      const snapD = decoded.optimizers['discriminator'];
      if (snapG === undefined || snapD === undefined) {
        disposeGan(gan);
        throw new ConfigError('gan checkpoint lacks an optimizer state');
      }
      // In a tidy: restoreOptimizer leaves its initial slot tensors undisposed.
      let optG: tf.Optimizer | undefined;
      let optD: tf.Optimizer | undefined;
      tf.tidy(() => {
        optG = restoreOptimizer(snapG);
        optD = restoreOptimizer(snapD);
      });
      const state: GanState = {
        res,
        gan,
        optG: optG as tf.Optimizer,
        optD: optD as tf.Optimizer,
        sampler: new BatchSampler(res.train.count, m.samplerSeed, m.sampler),
        samplerSeed: m.samplerSeed,
        owner: m.owner,
        modelSteps: m.modelSteps,
        lastDLoss: m.lastDLoss ?? Number.NaN,
        lastGLoss: m.lastGLoss ?? Number.NaN,
        diverged: m.diverged,
      };
      adopt(state, h, ctx);
      return state;
    },

    dispose(state) {
      disposeGan(state.gan);
      state.optG.dispose();
      state.optD.dispose();
    },

    // Generated samples scored by the task's scorer; the Fréchet distance is to the real test
    // images (the only split a generator is scored against).
    splits: ['test'],
    async evaluateCheckpoint(bytes, _h, _split, ctx) {
      const res = await prepare(ctx);
      const { gan, modelSteps } = ganFromCheckpoint(bytes);
      try {
        if (JSON.stringify(gan.shape) !== JSON.stringify(shape)) {
          throw new ConfigError(
            `checkpoint holds a GAN of shape ${JSON.stringify(gan.shape)}, the task options give ${JSON.stringify(shape)}`,
          );
        }
        const metrics: Record<string, number> = {
          ...scoreGenerator(gan, res, options),
          modelSteps,
        };
        return metrics as Metrics;
      } finally {
        disposeGan(gan);
      }
    },
  };
}

/** The GAN stored in a task checkpoint (no optimizers, no data): to generate images offline. */
export function ganFromCheckpoint(bytes: Uint8Array): { gan: Gan; modelSteps: number } {
  const decoded = decodeCheckpoint(bytes);
  const meta = checkTaskMeta<CheckpointMeta>(decoded.meta, 'gan/1', ['shape', 'generatorTensors']);
  const data = decoded.tensors.map((t) => t.data as Float32Array);
  const gan = createGan(meta.shape, {
    generator: data.slice(0, meta.generatorTensors),
    discriminator: data.slice(meta.generatorTensors),
  });
  return { gan, modelSteps: meta.modelSteps ?? 0 };
}

/** `count` generated images from a fixed noise stream (the same for every member), [-1, 1]. */
export function generateImages(gan: Gan, count: number, batchSize: number, seed = 0): tf.Tensor4D {
  const parts: tf.Tensor4D[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    parts.push(
      tf.tidy(() => generate(gan, noiseBatch(n, gan.shape.noiseDim, 'gan-eval', seed, start))),
    );
  }
  const all = tf.concat(parts, 0);
  tf.dispose(parts);
  return all;
}

/** The score (and Fréchet distance to real test images) of generated samples. */
export function scoreGenerator(
  gan: Gan,
  res: GanResources,
  options: Pick<GanOptions, 'scoreSamples' | 'batchSize'>,
): Record<string, number> {
  // Generated in training-size batches: the generator's batchnorm uses batch statistics.
  const images = generateImages(gan, options.scoreSamples, options.batchSize);
  const { probs, features } = res.scorer.classify(images);
  images.dispose();
  const score = classifierScore(probs, res.scorer.classes);
  const out: Record<string, number> = { score, [res.scorer.metric]: score };
  if (res.realFit !== null) {
    let finite = true;
    for (const f of features) if (!Number.isFinite(f)) finite = false;
    out.frechet = finite
      ? frechetDistance(gaussianFit(features, res.scorer.featureDim), res.realFit)
      : Number.NaN;
  }
  return out;
}

export const ganTaskDefinition: TaskDefinition<GanOptions> = {
  name: 'gan',
  description:
    'DCGAN-style GAN on CIFAR-10; tunes the generator and discriminator Adam learning rates; score: classifier score (Inception-Score formula with our own CIFAR-10 classifier, or the Inception Score with a local Inception-v3 TF.js model)',
  defaults: {
    population: 20,
    budget: { steps: 20_000 },
    // An epoch of CIFAR-10 is 781 batches of 64; ready every ~1/3 epoch (--ready to change).
    ready: { every: 250 },
    // The report: the bottom 20 % exploit the top 20 %.
    exploit: { kind: 'truncation', fraction: 0.2 },
    // ... and the learning rates are perturbed (×0.8 / ×1.2), not resampled.
    explore: { resampleProbability: 0 },
    fixed: GAN_FIXED,
  },
  parseOptions: parseGanOptions,
  create: (options) => createGanTask(options),
};
