import { ConfigError } from '../../engine/core/errors.js';
import { createRng } from '../../engine/core/rng.js';
import { bucketByLength } from '../datasets/batching.js';
import { loadTranslationSplit } from '../datasets/parallel-text.js';
import type { TranslationSplitOptions } from '../datasets/parallel-text.js';
import { Vocabulary } from '../datasets/vocabulary.js';
import type { NmtOptions } from './options.js';

/** Token lists of one split, aligned line by line. */
export interface TokenPairs {
  readonly source: readonly (readonly string[])[];
  readonly target: readonly (readonly string[])[];
}

export interface RawNmtSplits {
  readonly train: TokenPairs;
  readonly valid: TokenPairs;
}

export interface IdPair {
  readonly source: readonly number[];
  readonly target: readonly number[];
}

/**
 * Sentences to translate and score: sources as ids (with <EOS>) and as words, and the
 * references as the ORIGINAL (tokenised, lower-cased as configured) words — never mapped
 * through the vocabulary, so a rare reference word cannot be matched by an <UNK>.
 */
export interface EvalSet {
  readonly sources: readonly (readonly number[])[];
  readonly sourceTokens: readonly (readonly string[])[];
  readonly references: readonly (readonly string[])[];
  /** Pairs dropped: too long, empty, source seen in training, duplicate source, over the cap. */
  readonly dropped: { tooLong: number; empty: number; seenInTrain: number; duplicate: number };
}

/** Everything the members of one process share, built deterministically from the data. */
export interface NmtData {
  readonly sourceVocab: Vocabulary;
  readonly targetVocab: Vocabulary;
  /** Training pairs as ids, each side ending in <EOS>. */
  readonly train: readonly IdPair[];
  /** The validation pairs every evaluation scores. */
  readonly valid: EvalSet;
  /** Every training source sentence (all pairs, before filtering), words joined by spaces. */
  readonly trainSources: ReadonlySet<string>;
  /** FNV-1a hash of both vocabularies: checkpoints from another vocabulary are rejected. */
  readonly vocabHash: string;
}

export type NmtDataOptions = Pick<
  NmtOptions,
  'maxLength' | 'trainSentences' | 'vocabSize' | 'minCount' | 'evalSentences'
> &
  Partial<Pick<NmtOptions, 'evalUnseen'>>;

export type EvalSetOptions = Pick<NmtOptions, 'maxLength' | 'evalSentences'> &
  Partial<Pick<NmtOptions, 'evalUnseen'>>;

function splitOptions(options: NmtOptions, split: string): TranslationSplitOptions {
  return {
    corpus: options.corpus,
    split,
    sourceLang: options.sourceLang,
    targetLang: options.targetLang,
    lowercase: options.lowercase,
    ...(options.dataPath !== undefined ? { path: options.dataPath } : {}),
  };
}

/** Load the corpus splits named by the options. */
export async function loadRawSplits(options: NmtOptions): Promise<RawNmtSplits> {
  const [train, valid] = await Promise.all([
    loadTranslationSplit(splitOptions(options, options.trainSplit)),
    loadTranslationSplit(splitOptions(options, options.validSplit)),
  ]);
  return { train, valid };
}

/**
 * Any split of the corpus (e.g. the WMT held-out `test2008`), tokenised like the training
 * files (the raw WMT files go through the same tokenizer) and lower-cased as configured.
 */
export async function loadTokenPairs(options: NmtOptions, split: string): Promise<TokenPairs> {
  const { source, target } = await loadTranslationSplit(splitOptions(options, split));
  return { source, target };
}

/**
 * Filter by length, build both vocabularies from the kept training pairs (so every member and
 * every worker process derives the same ones) and encode.
 */
export function prepareNmtData(raw: RawNmtSplits, options: NmtDataOptions): NmtData {
  const keptSource: (readonly string[])[] = [];
  const keptTarget: (readonly string[])[] = [];
  raw.train.source.forEach((s, i) => {
    const t = raw.train.target[i] as readonly string[];
    if (options.trainSentences > 0 && keptSource.length >= options.trainSentences) return;
    if (s.length === 0 || t.length === 0) return;
    if (s.length > options.maxLength || t.length > options.maxLength) return;
    keptSource.push(s);
    keptTarget.push(t);
  });
  if (keptSource.length === 0) {
    throw new ConfigError(
      `no training pair has at most ${options.maxLength} words per side: raise taskOptions.maxLength`,
    );
  }
  const vocabOptions = { minCount: options.minCount, maxSize: options.vocabSize };
  const sourceVocab = Vocabulary.build(keptSource, vocabOptions);
  const targetVocab = Vocabulary.build(keptTarget, vocabOptions);
  const encode = { maxLength: options.maxLength };
  const train = keptSource.map((s, i) => ({
    source: sourceVocab.encode(s, encode),
    target: targetVocab.encode(keptTarget[i] as readonly string[], encode),
  }));
  const trainSources = new Set(raw.train.source.map((t) => t.join(' ')));
  const valid = selectEvalSet(raw.valid, { sourceVocab, trainSources }, options);
  if (valid.sources.length === 0) {
    throw new ConfigError(
      `no validation pair has at most ${options.maxLength} words per side${options.evalUnseen === false ? '' : ' and a source unseen in training'}: raise taskOptions.maxLength`,
    );
  }
  return {
    sourceVocab,
    targetVocab,
    train,
    valid,
    trainSources,
    vocabHash: fnv1a(
      [...sourceVocab.tokens, '\u0001', ...targetVocab.tokens].join('\u0000'),
    ).toString(16),
  };
}

/**
 * The pairs of `pairs` to score, in file order: at most maxLength words per side (as in
 * training: the quick variant would otherwise be scored on sentences it cannot produce), with
 * `evalUnseen` (default) only sources not in the training split and each source once, and
 * then the first `evalSentences` (0 = all).
 */
export function selectEvalSet(
  pairs: TokenPairs,
  data: Pick<NmtData, 'sourceVocab' | 'trainSources'>,
  options: EvalSetOptions,
): EvalSet {
  const unseen = options.evalUnseen ?? true;
  const sourceTokens: (readonly string[])[] = [];
  const references: (readonly string[])[] = [];
  const dropped = { tooLong: 0, empty: 0, seenInTrain: 0, duplicate: 0 };
  const taken = new Set<string>();
  pairs.source.forEach((s, i) => {
    const t = pairs.target[i] as readonly string[];
    if (options.evalSentences > 0 && sourceTokens.length >= options.evalSentences) return;
    if (s.length === 0 || t.length === 0) {
      dropped.empty++;
      return;
    }
    if (s.length > options.maxLength || t.length > options.maxLength) {
      dropped.tooLong++;
      return;
    }
    const key = s.join(' ');
    if (unseen && data.trainSources.has(key)) {
      dropped.seenInTrain++;
      return;
    }
    if (unseen && taken.has(key)) {
      dropped.duplicate++;
      return;
    }
    taken.add(key);
    sourceTokens.push(s);
    references.push(t);
  });
  const encode = { maxLength: options.maxLength };
  return {
    sources: sourceTokens.map((s) => data.sourceVocab.encode(s, encode)),
    sourceTokens,
    references,
    dropped,
  };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface PairSamplerState {
  readonly epoch: number;
  readonly position: number;
}

/**
 * Length-bucketed batches in a fresh seeded order per epoch, so the state is two numbers and a
 * restored sampler continues with exactly the same batches.
 */
export class PairBatchSampler {
  private batches: number[][];
  private epoch: number;
  private position: number;

  constructor(
    private readonly lengths: readonly number[],
    private readonly secondary: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
    state: PairSamplerState = { epoch: 0, position: 0 },
  ) {
    this.epoch = state.epoch;
    this.position = state.position;
    this.batches = this.epochBatches(this.epoch);
  }

  static forPairs(
    pairs: readonly IdPair[],
    batchSize: number,
    seed: number,
    state?: PairSamplerState,
  ): PairBatchSampler {
    return new PairBatchSampler(
      pairs.map((p) => p.source.length),
      pairs.map((p) => p.target.length),
      batchSize,
      seed,
      state,
    );
  }

  state(): PairSamplerState {
    return { epoch: this.epoch, position: this.position };
  }

  next(): number[] {
    if (this.position >= this.batches.length) {
      this.epoch++;
      this.position = 0;
      this.batches = this.epochBatches(this.epoch);
    }
    return this.batches[this.position++] as number[];
  }

  private epochBatches(epoch: number): number[][] {
    return bucketByLength(this.lengths, this.batchSize, {
      rng: createRng('nmt-batches', this.seed, epoch),
      secondary: this.secondary,
    });
  }
}
