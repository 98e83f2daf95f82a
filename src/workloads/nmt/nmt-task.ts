import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../engine/core/errors.js';
import { hashSeed } from '../../engine/core/rng.js';
import type { SearchSpace } from '../../engine/core/space-types.js';
import type { Hparams, Metrics } from '../../engine/core/types.js';
import { ensureBackend } from '../tfjs/ensure-backend.js';
import { decodeCheckpoint, restoreOptimizer, type DecodedCheckpoint } from '../tfjs/checkpoint.js';
import {
  adoptOwnership,
  samplerSeedOf,
  checkTaskMeta,
  encodeTaskCheckpoint,
  hparamNumber,
} from '../tfjs/task-kit.js';
import { setLearningRate } from '../tfjs/hparams.js';
import { trainStep } from '../tfjs/train-loop.js';
import type {
  EvaluationContext,
  Task,
  TaskContext,
  TaskDefinition,
} from '../../engine/tasks/task.js';
import { evaluateSet, type DecodeOptions, type SetEvaluation } from './evaluation.js';
import {
  createSeq2Seq,
  disposeSeq2Seq,
  initialSeq2SeqWeights,
  lossInputs,
  teacherForcedLoss,
  trainingBatch,
  WEIGHT_NAMES,
  type Seq2Seq,
  type Seq2SeqShape,
} from './model.js';
import { TRANSLATION_SPLITS } from '../datasets/parallel-text.js';
import {
  loadRawSplits,
  loadTokenPairs,
  selectEvalSet,
  PairBatchSampler,
  prepareNmtData,
  type EvalSet,
  type NmtData,
  type PairSamplerState,
  type RawNmtSplits,
} from './nmt-data.js';
import { parseNmtOptions, type NmtOptions } from './options.js';

/** The report's search space: Adam's learning rate and the output dropout rate. */
export const NMT_SPACE: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 1 },
  dropout: { type: 'uniform', min: 0.1, max: 0.5 },
};

/** The report's baseline: one model with Adam at 1e-3 and dropout 0.2. */
export const NMT_FIXED: Hparams = { lr: 1e-3, dropout: 0.2 };

export interface NmtState {
  data: NmtData;
  model: Seq2Seq;
  optimizer: tf.Optimizer;
  sampler: PairBatchSampler;
  samplerSeed: number;
  owner: number;
  /** Training steps these weights received (along the chain of donors). */
  modelSteps: number;
  /** Mean loss per target token of the last `train` call. */
  lastLoss: number;
  /** Target tokens trained on (along the chain of donors). */
  tokens: number;
}

/** Training loss above this many times ln(target vocabulary size) flags the member diverged. */
export const DIVERGED_LOSS_FACTOR = 1.5;

interface CheckpointMeta {
  readonly format: 'nmt/1';
  readonly shape: Seq2SeqShape;
  readonly vocabHash: string;
  readonly owner: number;
  readonly samplerSeed: number;
  readonly sampler: PairSamplerState;
  readonly modelSteps: number;
  readonly lastLoss: number | null;
  readonly tokens: number;
}

/** Where the corpus comes from: the options' files or, in tests, in-memory token lists. */
export type NmtSplitsSource = () => Promise<RawNmtSplits>;

/**
 * English→German translation with a GRU encoder-decoder with attention (section 4.3 of the
 * report). Tuned: learning rate and dropout, both changed in place. Score: corpus BLEU (0–1)
 * of greedy translations of a fixed validation subset.
 */
/** Example translations of a split: source, reference and the model's translation. */
export interface ExampleTranslation {
  readonly source: string;
  readonly reference: string;
  readonly translation: string;
}

/**
 * The NMT task, plus the first pairs of a split with a saved member's translations (for
 * experiment summaries: strings, which `evaluateCheckpoint`'s metrics cannot carry).
 */
export interface NmtTask extends Task<NmtState> {
  translateCheckpoint(
    bytes: Uint8Array,
    split: string,
    count: number,
    ctx: EvaluationContext,
  ): Promise<ExampleTranslation[]>;
}

export function createNmtTask(options: NmtOptions, source?: NmtSplitsSource): NmtTask {
  const getRaw: NmtSplitsSource = source ?? (() => loadRawSplits(options));
  let dataPromise: Promise<NmtData> | undefined;
  const prepare = async (ctx: EvaluationContext): Promise<NmtData> => {
    await ensureBackend(options.backend, ctx);
    dataPromise ??= getRaw().then((raw) => {
      const data = prepareNmtData(raw, options);
      ctx.log(
        `nmt data: ${data.train.length} training pairs, vocabularies ${data.sourceVocab.size}/${data.targetVocab.size}, ${data.valid.sources.length} evaluation sentences (dropped: ${JSON.stringify(data.valid.dropped)})`,
      );
      return data;
    });
    dataPromise.catch(() => (dataPromise = undefined));
    return dataPromise;
  };

  /** The checkpoint's meta, checked to match this data's vocabularies and the model options. */
  const fittingMeta = (decoded: DecodedCheckpoint, data: NmtData): CheckpointMeta => {
    const meta = checkTaskMeta<CheckpointMeta>(decoded.meta, 'nmt/1', ['shape']);
    const expected = shapeFor(data);
    if (
      meta.vocabHash !== data.vocabHash ||
      meta.shape.sourceVocab !== expected.sourceVocab ||
      meta.shape.targetVocab !== expected.targetVocab ||
      meta.shape.embedding !== expected.embedding ||
      meta.shape.hidden !== expected.hidden
    ) {
      throw new ConfigError(
        'checkpoint was saved with other nmt data or model options (vocabulary, maxLength, trainSentences, embedding, hidden): resume with the same --set options',
      );
    }
    return meta;
  };

  /**
   * 'validation': the evaluation set of every ready point; 'test': the corpus's held-out test
   * split (or any other split named in TRANSLATION_SPLITS), every pair that fits.
   */
  const evalSetOf = async (split: string, data: NmtData): Promise<EvalSet> => {
    if (split === 'validation') return data.valid;
    const name = split === 'test' ? TEST_SPLIT[options.corpus] : split;
    return selectEvalSet(await loadTokenPairs(options, name), data, {
      ...options,
      evalSentences: 0,
    });
  };

  const shapeFor = (data: NmtData): Seq2SeqShape => ({
    sourceVocab: data.sourceVocab.size,
    targetVocab: data.targetVocab.size,
    embedding: options.embedding,
    hidden: options.hidden,
  });

  const adopt = (state: NmtState, h: Hparams, ctx: TaskContext): void => {
    adoptOwnership(state, ctx, (seed) =>
      PairBatchSampler.forPairs(state.data.train, options.batchSize, seed),
    );
    setLearningRate(state.optimizer, hparamNumber('nmt', h, 'lr'));
  };

  const save = (state: NmtState): Promise<Uint8Array> => {
    const meta: CheckpointMeta = {
      format: 'nmt/1',
      shape: state.model.shape,
      vocabHash: state.data.vocabHash,
      owner: state.owner,
      samplerSeed: state.samplerSeed,
      sampler: state.sampler.state(),
      modelSteps: state.modelSteps,
      lastLoss: Number.isFinite(state.lastLoss) ? state.lastLoss : null,
      tokens: state.tokens,
    };
    return encodeTaskCheckpoint(
      state.model.variables.map((v, i) => ({ name: WEIGHT_NAMES[i] as string, tensor: v })),
      { adam: state.optimizer },
      meta,
    );
  };

  return {
    name: 'nmt',
    space: NMT_SPACE,

    async create(h, ctx) {
      const data = await prepare(ctx);
      const shape = shapeFor(data);
      const samplerSeed = samplerSeedOf(ctx);
      return {
        data,
        model: createSeq2Seq(shape, initialSeq2SeqWeights(shape, ctx.rng)),
        optimizer: tf.train.adam(hparamNumber('nmt', h, 'lr')),
        sampler: PairBatchSampler.forPairs(data.train, options.batchSize, samplerSeed),
        samplerSeed,
        owner: ctx.memberId,
        modelSteps: 0,
        lastLoss: Number.NaN,
        tokens: 0,
      };
    },

    async train(state, h, steps, ctx) {
      adopt(state, h, ctx);
      const dropout = hparamNumber('nmt', h, 'dropout');
      let total = 0;
      let lastYield = performance.now();
      for (let i = 0; i < steps; i++) {
        if (performance.now() - lastYield >= 100) {
          // Let heartbeats and I/O run.
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        const indices = state.sampler.next();
        const pairs = indices.map((k) => state.data.train[k] as NmtData['train'][number]);
        const batch = trainingBatch(
          pairs.map((p) => p.source),
          pairs.map((p) => p.target),
        );
        // The dropout mask depends on (batch order, step): a restored member continues exactly.
        const seed = hashSeed(state.samplerSeed, 'dropout', state.modelSteps);
        const inputs = lossInputs(batch);
        try {
          total += trainStep(
            state.optimizer,
            () => teacherForcedLoss(state.model, batch, inputs, dropout, seed),
            state.model.variables,
          );
        } finally {
          tf.dispose([inputs.rows, inputs.labels]);
        }
        state.modelSteps++;
        for (const p of pairs) state.tokens += p.target.length;
      }
      state.lastLoss = steps === 0 ? Number.NaN : total / steps;
    },

    evaluate(state) {
      const { bleu, score } = evaluateSet(state.model, state.data.targetVocab, state.data.valid, {
        ...decodeOptions(options),
        smoothing: options.scoreSmoothing,
      });
      return Promise.resolve({
        score,
        bleu: bleu.bleu,
        bleu100: bleu.bleu100,
        brevityPenalty: bleu.bp,
        lengthRatio: bleu.ratio,
        trainLoss: state.lastLoss,
        trainTokens: state.tokens,
        // A training loss well above uniform guessing (ln V per token) means the weights blew
        // up (Multi30k, lr 0.9: loss 25–49 against ln 4000 = 8.3, healthy 3–4); such a member
        // must never be copied, however its BLEU ranks (see docs/selection.md).
        diverged:
          state.lastLoss > DIVERGED_LOSS_FACTOR * Math.log(state.data.targetVocab.size) ? 1 : 0,
      } as Metrics);
    },

    save,

    async load(bytes, h, ctx) {
      const data = await prepare(ctx);
      const decoded = decodeCheckpoint(bytes);
      const meta = fittingMeta(decoded, data);
      const adam = decoded.optimizers['adam'];
      if (adam === undefined) throw new ConfigError('nmt checkpoint has no Adam state');
      let optimizer: tf.Optimizer | undefined;
      // restoreOptimizer leaves the scalars it assigns; the tidy frees them, keeps the variables.
      tf.tidy(() => {
        optimizer = restoreOptimizer(adam);
      });
      const state: NmtState = {
        data,
        model: createSeq2Seq(
          meta.shape,
          decoded.tensors.map((t) => t.data as Float32Array),
        ),
        optimizer: optimizer as tf.Optimizer,
        sampler: PairBatchSampler.forPairs(
          data.train,
          options.batchSize,
          meta.samplerSeed,
          meta.sampler,
        ),
        samplerSeed: meta.samplerSeed,
        owner: meta.owner,
        modelSteps: meta.modelSteps,
        lastLoss: meta.lastLoss ?? Number.NaN,
        tokens: meta.tokens,
      };
      adopt(state, h, ctx);
      return state;
    },

    dispose(state) {
      disposeSeq2Seq(state.model);
      state.optimizer.dispose();
    },

    splits: [
      'validation',
      'test',
      ...Object.keys(TRANSLATION_SPLITS[options.corpus]).filter((s) => s !== options.trainSplit),
    ],
    async evaluateCheckpoint(bytes, _h, split, ctx) {
      const { set, evaluation } = await evaluateSaved(bytes, split, ctx);
      const { bleu } = evaluation;
      return {
        score: bleu.bleu,
        bleu: bleu.bleu,
        bleu100: bleu.bleu100,
        brevityPenalty: bleu.bp,
        lengthRatio: bleu.ratio,
        sentences: set.sources.length,
      };
    },

    async translateCheckpoint(bytes, split, count, ctx) {
      const { set, evaluation, data } = await evaluateSaved(bytes, split, ctx);
      const n = Math.min(count, set.sources.length, evaluation.translations.length);
      return Array.from({ length: n }, (_, i) => ({
        source: (set.sourceTokens[i] as readonly string[]).join(' '),
        reference: (set.references[i] as readonly string[]).join(' '),
        translation: data.targetVocab
          .decode(evaluation.translations[i] as readonly number[])
          .join(' '),
      }));
    },
  };

  /** A saved member's translations of a split, scored (decoding as the options say). */
  async function evaluateSaved(
    bytes: Uint8Array,
    split: string,
    ctx: EvaluationContext,
  ): Promise<{ set: EvalSet; evaluation: SetEvaluation; data: NmtData }> {
    const data = await prepare(ctx);
    const decoded = decodeCheckpoint(bytes);
    const meta = fittingMeta(decoded, data);
    const set = await evalSetOf(split, data);
    const model = createSeq2Seq(
      meta.shape,
      decoded.tensors.map((t) => t.data as Float32Array),
    );
    try {
      return {
        set,
        data,
        evaluation: evaluateSet(model, data.targetVocab, set, decodeOptions(options)),
      };
    } finally {
      disposeSeq2Seq(model);
    }
  }
}

/** The held-out test split of each corpus (`evaluateCheckpoint(…, 'test')`). */
const TEST_SPLIT: Readonly<Record<NmtOptions['corpus'], string>> = {
  'europarl-de-en': 'test2008',
  multi30k: 'test_2016_flickr',
};

/** Decoding settings of the options; `beam` overrides the configured beam width. */
export function decodeOptions(options: NmtOptions, beam = options.beam): DecodeOptions {
  return {
    beam,
    lengthPenalty: options.lengthPenalty,
    maxLength: options.decodeLength > 0 ? options.decodeLength : options.maxLength + 5,
    batchSize: options.evalBatchSize,
  };
}

/** Translate and score any evaluation set (e.g. a held-out test split) with a member's model. */
export function evaluateMember(
  state: NmtState,
  set: EvalSet,
  decode: DecodeOptions,
): SetEvaluation {
  return evaluateSet(state.model, state.data.targetVocab, set, decode);
}

export const nmtTaskDefinition: TaskDefinition<NmtOptions> = {
  name: 'nmt',
  description:
    'English→German translation on Europarl with a GRU encoder-decoder with attention, scored by BLEU; tunes learning rate and dropout',
  defaults: {
    population: 8,
    budget: { steps: 8000 },
    ready: { every: 100 },
    fixed: NMT_FIXED,
  },
  parseOptions: parseNmtOptions,
  create: (options) => createNmtTask(options),
};
