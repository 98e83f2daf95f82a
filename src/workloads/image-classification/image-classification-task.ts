import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../engine/core/errors.js';
import { createRng, hashSeed } from '../../engine/core/rng.js';
import type { SearchSpace } from '../../engine/core/space-types.js';
import type { Hparams, Metrics } from '../../engine/core/types.js';
import type { ImageDataset } from '../datasets/index.js';
import { ensureBackend } from '../tfjs/ensure-backend.js';
import {
  decodeCheckpoint,
  restoreOptimizer,
  type DecodedCheckpoint,
  type OptimizerSnapshot,
  type SavedTensor,
} from '../tfjs/checkpoint.js';
import { setLearningRate, weightPenalty } from '../tfjs/hparams.js';
import { BatchSampler, trainSteps, type SamplerState } from '../tfjs/train-loop.js';
import type {
  EvaluationContext,
  Task,
  TaskContext,
  TaskDefinition,
} from '../../engine/tasks/task.js';
import { inputBatch, labelBatch, loadImageSplits, type ImageSplits } from './image-data.js';
import {
  createMlp,
  disposeMlp,
  initialMlpWeights,
  mlpKernels,
  mlpLogits,
  mlpWeightShapes,
  type Mlp,
  type MlpShape,
} from './mlp.js';
import { parseImageClassificationOptions, type ImageClassificationOptions } from './options.js';
import { resizeMlp } from './resize.js';
import {
  adoptOwnership,
  samplerSeedOf,
  checkTaskMeta,
  encodeTaskCheckpoint,
  hparamNumber,
} from '../tfjs/task-kit.js';

/** The tuned hyperparameters and their priors/bounds. */
export const IMAGE_CLASSIFICATION_SPACE: SearchSpace = {
  /**
   * Strength of the L1 penalty on every kernel (sum of |w|, added to the mean cross-entropy).
   * At most 1e-4: on CIFAR-10 (~10^6 weights) 1e-3 makes the penalty outweigh the cross-entropy,
   * looks best for the first few hundred steps and then stalls near 45 % (docs/image-classification.md),
   * a trap greedy 100-step selection walks into.
   */
  l1: { type: 'loguniform', min: 1e-8, max: 1e-4 },
  /**
   * Adam learning rate. Down to 1e-5: PBT anneals it, and with a floor of 1e-4 CIFAR-10 runs sat
   * on the floor from step 1,200 on (docs/image-classification.md).
   */
  lr: { type: 'loguniform', min: 1e-5, max: 1e-2 },
  /** Units in each hidden layer; changes on explore by function-preserving resizing. */
  width: { type: 'int', min: 32, max: 512, log: true },
};

/** The hand-chosen hyperparameters of the fixed baseline (`--method fixed`). */
export const IMAGE_CLASSIFICATION_FIXED: Hparams = { l1: 1e-5, lr: 1e-3, width: 256 };

/** One member in memory. Fields are replaced (not the object) when a resize rebuilds the model. */
export interface ImageClassificationState {
  splits: ImageSplits;
  mlp: Mlp;
  optimizer: tf.Optimizer;
  sampler: BatchSampler;
  samplerSeed: number;
  /** The member whose training produced these weights (and whose batch order they follow). */
  owner: number;
  /** Training steps these weights received (along the chain of donors). */
  modelSteps: number;
  /** Mean training loss (cross-entropy + L1 penalty) of the last `train` call. */
  lastLoss: number;
}

interface CheckpointMeta {
  readonly format: 'image-classification/1';
  readonly shape: MlpShape;
  readonly owner: number;
  readonly samplerSeed: number;
  readonly sampler: SamplerState;
  readonly modelSteps: number;
  readonly lastLoss: number | null;
}

/**
 * Where the data comes from: the real data sets (loaded once per process) or, in tests, a
 * function returning in-memory splits.
 */
export type SplitsSource = () => Promise<ImageSplits>;

/**
 * A fully connected network with L1 regularisation on Fashion-MNIST or CIFAR-10 (section 4.1 of
 * the report). Tuned: L1 strength, learning rate and hidden-layer width. Score: accuracy on
 * training images held out for validation. The model is a stack of plain variables (mlp.ts);
 * checkpoints hold the weights, Adam's moments and the batch sampler's position.
 */
export function createImageClassificationTask(
  options: ImageClassificationOptions,
  source?: SplitsSource,
): Task<ImageClassificationState> {
  const getSplits: SplitsSource =
    source ??
    (() =>
      loadImageSplits({
        dataset: options.dataset,
        dataPath: options.dataPath,
        validation: options.validation,
        testExamples: options.testExamples,
        splitSeed: options.splitSeed,
      }));

  const prepare = async (ctx: EvaluationContext): Promise<ImageSplits> => {
    await ensureBackend(options.backend, ctx);
    return getSplits();
  };

  /** The checkpoint's meta, checked to hold a model for this data set's inputs and classes. */
  const fittingMeta = (decoded: DecodedCheckpoint, splits: ImageSplits): CheckpointMeta => {
    const meta = checkTaskMeta<CheckpointMeta>(decoded.meta, 'image-classification/1', ['shape']);
    const expected = shapeFor(splits, meta.shape.width);
    if (meta.shape.inputSize !== expected.inputSize || meta.shape.classes !== expected.classes) {
      throw new ConfigError(
        `checkpoint holds a model for ${meta.shape.inputSize} inputs and ${meta.shape.classes} classes, but the data set has ${expected.inputSize} and ${expected.classes}: was it saved with another --set dataset=...?`,
      );
    }
    return meta;
  };

  const shapeFor = (splits: ImageSplits, width: number): MlpShape => {
    const t = splits.train;
    return {
      inputSize: t.height * t.width * t.channels,
      width,
      hidden: options.hiddenLayers,
      classes: t.classNames.length,
    };
  };

  /** Bring a state in line with `h` and the member now holding it. */
  const adopt = async (
    state: ImageClassificationState,
    h: Hparams,
    ctx: TaskContext,
  ): Promise<void> => {
    const width = hparamNumber('image-classification', h, 'width');
    if (width !== state.mlp.shape.width) {
      const from = state.mlp.shape.width;
      const rebuilt = restore(
        decodeCheckpoint(await save(state)),
        state.splits,
        width,
        hashSeed(ctx.seed, 'resize'),
      );
      disposeState(state);
      Object.assign(state, rebuilt);
      ctx.log(`width ${from} → ${width} (${width > from ? 'widened' : 'narrowed'})`);
    }
    adoptOwnership(state, ctx, (seed) => new BatchSampler(state.splits.train.count, seed));
    setLearningRate(state.optimizer, hparamNumber('image-classification', h, 'lr'));
  };

  const save = (state: ImageClassificationState): Promise<Uint8Array> => {
    const meta: CheckpointMeta = {
      format: 'image-classification/1',
      shape: state.mlp.shape,
      owner: state.owner,
      samplerSeed: state.samplerSeed,
      sampler: state.sampler.state(),
      modelSteps: state.modelSteps,
      lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null,
    };
    return encodeTaskCheckpoint(
      state.mlp.variables.map((v, i) => ({ name: `w${i}`, tensor: v })),
      { adam: state.optimizer },
      meta,
    );
  };

  return {
    name: 'image-classification',
    space: IMAGE_CLASSIFICATION_SPACE,

    async create(h, ctx) {
      const splits = await prepare(ctx);
      const shape = shapeFor(splits, hparamNumber('image-classification', h, 'width'));
      const mlp = createMlp(shape, initialMlpWeights(shape, ctx.rng));
      const samplerSeed = samplerSeedOf(ctx);
      const state: ImageClassificationState = {
        splits,
        mlp,
        optimizer: tf.train.adam(hparamNumber('image-classification', h, 'lr')),
        sampler: new BatchSampler(splits.train.count, samplerSeed),
        samplerSeed,
        owner: ctx.memberId,
        modelSteps: 0,
        lastLoss: Number.NaN,
      };
      return state;
    },

    async train(state, h, steps, ctx) {
      await adopt(state, h, ctx);
      const l1 = hparamNumber('image-classification', h, 'l1');
      const { train, normalise } = state.splits;
      const classes = state.mlp.shape.classes;
      const inputSize = state.mlp.shape.inputSize;
      const kernels = mlpKernels(state.mlp);
      const result = await trainSteps({
        optimizer: state.optimizer,
        varList: state.mlp.variables,
        sampler: state.sampler,
        batchSize: options.batchSize,
        steps,
        makeBatch: (indices) => [
          tf.tensor2d(inputBatch(train, normalise, indices), [indices.length, inputSize]),
          tf.tidy(() => tf.oneHot(tf.tensor1d(labelBatch(train, indices), 'int32'), classes)),
        ],
        loss: ([x, y]) =>
          tf.add<tf.Scalar>(
            tf.losses.softmaxCrossEntropy(y as tf.Tensor2D, mlpLogits(state.mlp, x as tf.Tensor2D)),
            weightPenalty(kernels, { l1 }),
          ),
      });
      state.modelSteps += steps;
      state.lastLoss = result.meanLoss;
    },

    evaluate(state) {
      const { validation, testSubset, normalise } = state.splits;
      const valCount =
        options.evalExamples > 0
          ? Math.min(options.evalExamples, validation.count)
          : validation.count;
      const valAccuracy = accuracy(
        state.mlp,
        validation,
        normalise,
        valCount,
        options.evalBatchSize,
      );
      const metrics: Record<string, number> = {
        score: valAccuracy,
        validationAccuracy: valAccuracy,
        trainLoss: state.lastLoss,
        sparsity: sparsity(state.mlp),
      };
      if (options.testExamples > 0) {
        metrics.testAccuracy = accuracy(
          state.mlp,
          testSubset,
          normalise,
          testSubset.count,
          options.evalBatchSize,
        );
      }
      return Promise.resolve(metrics as Metrics);
    },

    save,

    async load(bytes, h, ctx) {
      const splits = await prepare(ctx);
      const decoded = decodeCheckpoint(bytes);
      const meta = fittingMeta(decoded, splits);
      // Resized while restoring (an exploit that changed the width), not rebuilt twice.
      const width = hparamNumber('image-classification', h, 'width');
      const state = restore(decoded, splits, width, hashSeed(ctx.seed, 'resize'));
      if (width !== meta.shape.width) {
        ctx.log(
          `width ${meta.shape.width} → ${width} (${width > meta.shape.width ? 'widened' : 'narrowed'})`,
        );
      }
      await adopt(state, h, ctx);
      return state;
    },

    dispose: disposeState,

    // The validation images (held out from training: the score) or the whole test set.
    splits: ['validation', 'test'],
    async evaluateCheckpoint(bytes, _h, split, ctx) {
      const splits = await prepare(ctx);
      const decoded = decodeCheckpoint(bytes);
      const state = restore(decoded, splits, fittingMeta(decoded, splits).shape.width, 0);
      try {
        const ds = split === 'test' ? splits.test : splits.validation;
        const acc = accuracy(state.mlp, ds, splits.normalise, ds.count, options.evalBatchSize);
        return { score: acc, accuracy: acc, examples: ds.count, sparsity: sparsity(state.mlp) };
      } finally {
        disposeState(state);
      }
    },
  };
}

/** A state from decoded checkpoint data, resized to `width` if that differs. */
function restore(
  decoded: ReturnType<typeof decodeCheckpoint>,
  splits: ImageSplits,
  width: number,
  resizeSeed: number,
): ImageClassificationState {
  const meta = checkTaskMeta<CheckpointMeta>(decoded.meta, 'image-classification/1', ['shape']);
  const adam = decoded.optimizers['adam'];
  if (adam === undefined) throw new ConfigError('checkpoint has no Adam state');
  let shape = meta.shape;
  const n = mlpWeightShapes(shape).length;
  let weights = decoded.tensors.map((t) => t.data as Float32Array);
  let m = adam.slots.slice(0, adam.slots.length / 2).map((s) => s.data as Float32Array);
  let v = adam.slots.slice(adam.slots.length / 2).map((s) => s.data as Float32Array);
  if (weights.length !== n)
    throw new ConfigError(`checkpoint has ${weights.length} weight arrays, expected ${n}`);
  let slots: readonly SavedTensor[] = adam.slots;
  if (width !== shape.width) {
    const resized = resizeMlp(shape, { weights, m, v }, width, createRng('resize', resizeSeed));
    ({ shape, weights, m, v } = resized);
    const shapes = mlpWeightShapes(shape);
    const asSlots = (arrays: Float32Array[], kind: string): SavedTensor[] =>
      arrays.map((data, i) => ({
        name: `w${i}/${kind}`,
        shape: shapes[i] as number[],
        dtype: 'float32',
        data,
      }));
    slots = [...asSlots(m, 'm'), ...asSlots(v, 'v')];
  }
  const snapshot: OptimizerSnapshot = { ...adam, slots };
  // In a tidy: restoreOptimizer (src/tfjs) leaves the initial tensors of its slot variables
  // and the scalars it assigns undisposed; the tidy frees them and keeps the variables.
  let optimizer: tf.Optimizer | undefined;
  tf.tidy(() => {
    optimizer = restoreOptimizer(snapshot);
  });
  return {
    splits,
    mlp: createMlp(shape, weights),
    optimizer: optimizer as tf.Optimizer,
    sampler: new BatchSampler(splits.train.count, meta.samplerSeed, meta.sampler),
    samplerSeed: meta.samplerSeed,
    owner: meta.owner,
    modelSteps: meta.modelSteps,
    lastLoss: meta.lastLoss ?? Number.NaN,
  };
}

function disposeState(state: ImageClassificationState): void {
  disposeMlp(state.mlp);
  state.optimizer.dispose();
}

/** Fraction of the first `count` images of `ds` classified correctly. */
export function accuracy(
  mlp: Mlp,
  ds: ImageDataset,
  normalise: Float32Array,
  count: number,
  batchSize: number,
): number {
  if (count === 0) return Number.NaN;
  let correct = 0;
  const inputSize = mlp.shape.inputSize;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = start + i;
    const predicted = tf.tidy(() =>
      tf.argMax(mlpLogits(mlp, tf.tensor2d(inputBatch(ds, normalise, indices), [n, inputSize])), 1),
    );
    const labels = predicted.dataSync();
    predicted.dispose();
    for (let i = 0; i < n; i++) if (labels[i] === ds.labels[start + i]) correct++;
  }
  return correct / count;
}

/** Fraction of kernel weights with |w| < 1e-3: how far L1 has pruned the network. */
function sparsity(mlp: Mlp): number {
  let small = 0;
  let total = 0;
  for (const k of mlpKernels(mlp)) {
    const data = k.dataSync();
    for (let i = 0; i < data.length; i++) if (Math.abs(data[i] as number) < 1e-3) small++;
    total += data.length;
  }
  return small / total;
}

export const imageClassificationTaskDefinition: TaskDefinition<ImageClassificationOptions> = {
  name: 'image-classification',
  description:
    'Fully connected network with L1 regularisation on Fashion-MNIST or CIFAR-10 (--set dataset=cifar10); tunes L1 strength, learning rate and width',
  defaults: {
    population: 10,
    budget: { steps: 50_000 },
    ready: { every: 100 },
    // The report: the 3 worst members are replaced by the 3 best. As a fraction (round(0.3 · 10)
    // = 3) rather than counts, so that smaller populations (quick runs) work too.
    exploit: { kind: 'truncation', fraction: 0.3 },
    // ... and explore adds N(0, 0.5) noise to the regulariser in log10 space. lr and width are
    // perturbed ×0.8/×1.2; no resampling, so a copied architecture changes only by ±20 %.
    explore: { noise: { sigma: 0.5, params: ['l1'] }, resampleProbability: 0 },
    fixed: IMAGE_CLASSIFICATION_FIXED,
  },
  parseOptions: parseImageClassificationOptions,
  create: (options) => createImageClassificationTask(options),
};
