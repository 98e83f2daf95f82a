import { corpusBleu, type BleuResult, type BleuSmoothing } from './bleu.js';
import { UNK, type Vocabulary } from '../datasets/vocabulary.js';
import { beamDecode } from './beam-search.js';
import { greedyDecode, type Seq2Seq } from './model.js';
import type { EvalSet } from './nmt-data.js';

/**
 * What an <UNK> of a hypothesis becomes for BLEU: a string no tokenised reference word can
 * equal (it starts with a NUL), so an <UNK> never matches — not even a reference that happens
 * to contain the text "<UNK>".
 */
export const UNMATCHABLE_UNK = '\u0000<UNK>';

export interface DecodeOptions {
  /** 1 = greedy. */
  readonly beam: number;
  readonly lengthPenalty: number;
  /** Longest translation in tokens. */
  readonly maxLength: number;
  /** Sentences decoded together. */
  readonly batchSize: number;
}

/** Translations as target ids (without <EOS>), decoded in batches. */
export function translateIds(
  model: Seq2Seq,
  sources: readonly (readonly number[])[],
  options: DecodeOptions,
): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < sources.length; start += options.batchSize) {
    const chunk = sources.slice(start, start + options.batchSize);
    const ids =
      options.beam === 1
        ? greedyDecode(model, chunk, options.maxLength)
        : beamDecode(model, chunk, options).map((h) => h.ids);
    out.push(...ids);
  }
  return out;
}

/** A translation as BLEU sees it: words, with every <UNK> made unmatchable. */
export function bleuTokens(ids: readonly number[], vocab: Vocabulary): string[] {
  return vocab.decode(ids).map((t) => (t === UNK ? UNMATCHABLE_UNK : t));
}

export interface SetScore {
  /** Unsmoothed corpus BLEU: the reported metric. */
  readonly bleu: BleuResult;
  /** The BLEU with `smoothing` (equal to bleu.bleu for 'none'): what PBT ranks by. */
  readonly score: number;
}

/**
 * Corpus BLEU of translations (target ids) against the original reference words. The
 * smoothing only changes `score`; `bleu` is always computed without it.
 */
export function scoreTranslations(
  translations: readonly (readonly number[])[],
  references: readonly (readonly string[])[],
  vocab: Vocabulary,
  smoothing: BleuSmoothing = 'none',
): SetScore {
  const hypotheses = translations.map((ids) => bleuTokens(ids, vocab));
  const bleu = corpusBleu(hypotheses, references);
  const score =
    smoothing === 'none' ? bleu.bleu : corpusBleu(hypotheses, references, { smoothing }).bleu;
  return { bleu, score };
}

export interface SetEvaluation extends SetScore {
  readonly translations: number[][];
}

/** Translate an evaluation set and score it. */
export function evaluateSet(
  model: Seq2Seq,
  vocab: Vocabulary,
  set: EvalSet,
  options: DecodeOptions & { readonly smoothing?: BleuSmoothing },
): SetEvaluation {
  const translations = translateIds(model, set.sources, options);
  return {
    translations,
    ...scoreTranslations(translations, set.references, vocab, options.smoothing ?? 'none'),
  };
}
