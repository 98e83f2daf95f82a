import { ConfigError } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { bucketByLength } from '../../data/batching.js';
import { loadTranslationSplit } from '../../data/parallel-text.js';
import { Vocabulary } from '../../data/vocabulary.js';
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

/** Everything the members of one process share, built deterministically from the data. */
export interface NmtData {
  readonly sourceVocab: Vocabulary;
  readonly targetVocab: Vocabulary;
  /** Training pairs as ids, each side ending in <EOS>. */
  readonly train: readonly IdPair[];
  /** Evaluation sources (ids with <EOS>) and their tokenized references. */
  readonly validSources: readonly (readonly number[])[];
  readonly validSourceTokens: readonly (readonly string[])[];
  readonly validReferences: readonly (readonly string[])[];
  /** FNV-1a hash of both vocabularies: checkpoints from another vocabulary are rejected. */
  readonly vocabHash: string;
}

export type NmtDataOptions = Pick<
  NmtOptions,
  'maxLength' | 'trainSentences' | 'vocabSize' | 'minCount' | 'evalSentences'
>;

/** Load the corpus splits named by the options. */
export async function loadRawSplits(options: NmtOptions): Promise<RawNmtSplits> {
  const common = {
    corpus: options.corpus,
    sourceLang: options.sourceLang,
    targetLang: options.targetLang,
    lowercase: options.lowercase,
    ...(options.dataPath !== undefined ? { path: options.dataPath } : {}),
  };
  const [train, valid] = await Promise.all([
    loadTranslationSplit({ ...common, split: options.trainSplit }),
    loadTranslationSplit({ ...common, split: options.validSplit }),
  ]);
  return { train, valid };
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
  // Evaluation pairs obey the same length limit as training (the quick variant would
  // otherwise be scored on sentences it cannot produce); the first evalSentences of them.
  const validSourceTokens: (readonly string[])[] = [];
  const validReferences: (readonly string[])[] = [];
  raw.valid.source.forEach((s, i) => {
    const t = raw.valid.target[i] as readonly string[];
    if (options.evalSentences > 0 && validSourceTokens.length >= options.evalSentences) return;
    if (s.length === 0 || t.length === 0) return;
    if (s.length > options.maxLength || t.length > options.maxLength) return;
    validSourceTokens.push(s);
    validReferences.push(t);
  });
  if (validSourceTokens.length === 0) {
    throw new ConfigError(
      `no validation pair has at most ${options.maxLength} words per side: raise taskOptions.maxLength`,
    );
  }
  return {
    sourceVocab,
    targetVocab,
    train,
    validSources: validSourceTokens.map((s) => sourceVocab.encode(s, encode)),
    validSourceTokens,
    validReferences,
    vocabHash: fnv1a(
      [...sourceVocab.tokens, '\u0001', ...targetVocab.tokens].join('\u0000'),
    ).toString(16),
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
