import { z } from 'zod';
import { parseTaskOptions } from '../../engine/tasks/task-options.js';

/** Task options (`taskOptions` in a config, `--set key=value` on the CLI). */
export const nmtOptionsSchema = z.strictObject({
  corpus: z.enum(['europarl-de-en', 'multi30k']).default('europarl-de-en'),
  /** Folder holding the corpus (default: the standard places, see docs/data.md). */
  dataPath: z.string().min(1).optional(),
  sourceLang: z.enum(['en', 'de']).default('en'),
  targetLang: z.enum(['en', 'de']).default('de'),
  trainSplit: z.string().min(1).default('train'),
  validSplit: z.string().min(1).default('valid'),
  lowercase: z.boolean().default(true),
  /**
   * Training pairs with more words than this on either side are dropped (the report trims to
   * 40; the quick default keeps short sentences so that a run takes minutes).
   */
  maxLength: z.number().int().min(1).max(200).default(20),
  /** Use only the first N training pairs that fit maxLength; 0 = all. */
  trainSentences: z.number().int().nonnegative().default(0),
  /** Vocabulary size per language, the 4 special tokens included (most frequent words win). */
  vocabSize: z.number().int().min(5).default(4000),
  /** Words seen fewer times than this in the training data become <UNK> (report: 5). */
  minCount: z.number().int().min(1).default(5),
  embedding: z.number().int().positive().default(100),
  hidden: z.number().int().positive().default(96),
  batchSize: z.number().int().positive().max(4096).default(64),
  /**
   * BLEU on the first N validation pairs with at most maxLength words per side (a fixed subset,
   * the same for every member); 0 = all of them.
   */
  evalSentences: z.number().int().nonnegative().default(100),
  /**
   * Drop evaluation pairs whose source sentence occurs in the training split (after
   * tokenising and lower-casing), and score each distinct source once. Europarl repeats stock
   * phrases ("the debate is closed .", "( applause )"): kept, they are scored on memorisation —
   * 10 of the first 50 validation pairs of ≤ 10 words are such phrases, and reproducing only
   * their training translations scores BLEU×100 16.4.
   */
  evalUnseen: z.boolean().default(true),
  /**
   * Smoothing of the BLEU used as the *score* (metrics bleu/bleu100 stay unsmoothed, as in the
   * report): early in a short run every member scores BLEU 0 and exploit has nothing to go by;
   * 'floor' or 'exp' (sacreBLEU's methods) rank such members by their lower-order matches.
   */
  scoreSmoothing: z.enum(['none', 'add-one', 'floor', 'exp']).default('none'),
  /** Sentences decoded together during evaluation. */
  evalBatchSize: z.number().int().positive().default(100),
  /** Longest translation in tokens; 0 = maxLength + 5. */
  decodeLength: z.number().int().nonnegative().default(0),
  /** Beam width of the decoder in evaluation; 1 = greedy. */
  beam: z.number().int().min(1).max(64).default(1),
  /** Length normalisation α of the beam search: log p / ((5 + |y|) / 6)^α (GNMT); 0 = none. */
  lengthPenalty: z.number().min(0).max(5).default(0.6),
  /** TensorFlow.js backend; default: the fastest available (tfjs-node, wasm, cpu). */
  backend: z.enum(['node', 'wasm', 'cpu']).optional(),
});

export type NmtOptions = z.output<typeof nmtOptionsSchema>;

export function parseNmtOptions(raw: unknown): NmtOptions {
  const options = parseTaskOptions(nmtOptionsSchema, raw, 'nmt');
  if (options.sourceLang === options.targetLang) {
    // Reuse the same error path as schema failures.
    return parseTaskOptions(
      nmtOptionsSchema.refine(() => false, {
        message: 'sourceLang and targetLang must differ (en and de)',
        path: ['targetLang'],
      }),
      raw,
      'nmt',
    );
  }
  return options;
}
