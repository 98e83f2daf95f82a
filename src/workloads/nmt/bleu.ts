/**
 * Corpus-level BLEU (Papineni et al. 2002) on tokenized text.
 *
 * `corpusBleu` / `corpusBleuMultiRef` / `bleuFromStats` compute it the way sacreBLEU does (with
 * `tokenize='none'`): clipped n-gram matches and n-gram counts are summed over the whole corpus
 * before the precisions are formed (not averaged per sentence), BLEU = BP · exp(mean log
 * precision), BP = exp(1 − r/c) when the total hypothesis length c is below r, the sum over
 * sentences of the reference length closest to each hypothesis length (the shorter on ties).
 * Without smoothing, an order with no match at all gives BLEU exactly 0, and a hypothesis
 * shorter than n adds 0 n-grams to order n's count.
 *
 * That differs from NLTK's corpus_bleu in exactly those two places: NLTK counts
 * max(1, n-gram count) per sentence, and with its default smoothing (method0) an order without
 * a match has precision sys.float_info.min, so BLEU is tiny but positive. `nltkCorpusBleu`
 * reproduces NLTK 3.8 (checked against vectors generated with Debian's python3-nltk:
 * fixtures/nltk-bleu-vectors.json).
 */

export type BleuSmoothing = 'none' | 'add-one' | 'floor' | 'exp';

export interface BleuOptions {
  /** Highest n-gram order. Default 4. */
  readonly maxOrder?: number;
  /**
   * - 'none' (default): any order without a match gives BLEU 0.
   * - 'add-one': orders n >= 2 get one extra match and one extra n-gram (sacreBLEU 'add-k', k=1).
   * - 'floor': an order without a match gets precision `floor / total` (sacreBLEU 'floor').
   * - 'exp': the k-th order without a match gets precision 1 / (2^k * total) (mteval-v13a, sacreBLEU 'exp').
   * In every mode, a corpus without a single matching n-gram scores 0 (as sacreBLEU).
   */
  readonly smoothing?: BleuSmoothing;
  /** Numerator for 'floor'. Default 0.1. */
  readonly floor?: number;
  /** Only use orders up to the longest for which the hypotheses have n-grams (sentence-level use). */
  readonly effectiveOrder?: boolean;
}

/** Sufficient statistics; add them up over sentences to score a corpus. */
export interface BleuStats {
  /** Clipped matches per order (index 0 = unigrams). */
  readonly matches: number[];
  /** Hypothesis n-grams per order. */
  readonly totals: number[];
  readonly hypLength: number;
  readonly refLength: number;
}

export interface BleuResult {
  /** 0..1 */
  readonly bleu: number;
  /** 0..100, as papers and sacreBLEU report it. */
  readonly bleu100: number;
  /** Per-order precision 0..1 after smoothing (index 0 = unigrams). */
  readonly precisions: number[];
  /** Brevity penalty. */
  readonly bp: number;
  /** hypLength / refLength. */
  readonly ratio: number;
  readonly hypLength: number;
  readonly refLength: number;
  readonly matches: number[];
  readonly totals: number[];
}

type Tokens = readonly string[];

const SEP = '\u0000';

function ngramCounts(tokens: Tokens, maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // Prefix the order so that n-grams of different orders never share a key.
      const key = `${n}${SEP}${tokens.slice(i, i + n).join(SEP)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function orderOf(key: string): number {
  return parseInt(key.slice(0, key.indexOf(SEP)), 10);
}

/** The reference length closest to `hypLength`; the shorter on ties. */
export function closestRefLength(hypLength: number, refLengths: readonly number[]): number {
  let best = -1;
  let bestDiff = Number.POSITIVE_INFINITY;
  for (const len of refLengths) {
    const diff = Math.abs(hypLength - len);
    if (diff < bestDiff || (diff === bestDiff && len < best)) {
      best = len;
      bestDiff = diff;
    }
  }
  return best;
}

/** Statistics of one hypothesis against one or more references. */
export function bleuStats(
  hypothesis: Tokens,
  references: readonly Tokens[],
  maxOrder = 4,
): BleuStats {
  if (references.length === 0)
    throw new RangeError('BLEU needs at least one reference per hypothesis');
  // Clip each hypothesis n-gram by its largest count in any single reference.
  const maxRef = new Map<string, number>();
  for (const ref of references) {
    for (const [key, count] of ngramCounts(ref, maxOrder)) {
      if (count > (maxRef.get(key) ?? 0)) maxRef.set(key, count);
    }
  }
  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  for (const [key, count] of ngramCounts(hypothesis, maxOrder)) {
    const n = orderOf(key) - 1;
    totals[n] = (totals[n] as number) + count;
    matches[n] = (matches[n] as number) + Math.min(count, maxRef.get(key) ?? 0);
  }
  return {
    matches,
    totals,
    hypLength: hypothesis.length,
    refLength: closestRefLength(
      hypothesis.length,
      references.map((r) => r.length),
    ),
  };
}

export function addBleuStats(a: BleuStats, b: BleuStats): BleuStats {
  if (a.matches.length !== b.matches.length)
    throw new RangeError('BLEU statistics of different orders');
  return {
    matches: a.matches.map((m, i) => m + (b.matches[i] as number)),
    totals: a.totals.map((t, i) => t + (b.totals[i] as number)),
    hypLength: a.hypLength + b.hypLength,
    refLength: a.refLength + b.refLength,
  };
}

export function emptyBleuStats(maxOrder = 4): BleuStats {
  return {
    matches: new Array<number>(maxOrder).fill(0),
    totals: new Array<number>(maxOrder).fill(0),
    hypLength: 0,
    refLength: 0,
  };
}

/** BLEU from (corpus-summed) statistics. */
export function bleuFromStats(stats: BleuStats, options: BleuOptions = {}): BleuResult {
  const maxOrder = stats.matches.length;
  const smoothing = options.smoothing ?? 'none';
  const floor = options.floor ?? 0.1;
  const { hypLength, refLength } = stats;
  let bp = 1;
  if (hypLength < refLength) bp = hypLength > 0 ? Math.exp(1 - refLength / hypLength) : 0;
  const matches = [...stats.matches];
  const totals = [...stats.totals];
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (bleu: number): BleuResult => ({
    bleu,
    bleu100: 100 * bleu,
    precisions,
    bp,
    ratio: refLength > 0 ? hypLength / refLength : 0,
    hypLength,
    refLength,
    matches,
    totals,
  });
  if (matches.every((m) => m === 0)) return result(0);

  let order = maxOrder;
  let expFactor = 1;
  for (let n = 0; n < maxOrder; n++) {
    if (smoothing === 'add-one' && n > 0) {
      matches[n] = (matches[n] as number) + 1;
      totals[n] = (totals[n] as number) + 1;
    }
    const total = totals[n] as number;
    const match = matches[n] as number;
    if (total === 0) break;
    if (options.effectiveOrder === true) order = n + 1;
    if (match > 0) precisions[n] = match / total;
    else if (smoothing === 'exp') {
      expFactor *= 2;
      precisions[n] = 1 / (expFactor * total);
    } else if (smoothing === 'floor') precisions[n] = floor / total;
  }
  let logSum = 0;
  for (let n = 0; n < order; n++) {
    const p = precisions[n] as number;
    if (p <= 0) return result(0);
    logSum += Math.log(p);
  }
  return result(bp * Math.exp(logSum / order));
}

function checkLengths(hypotheses: readonly unknown[], references: readonly unknown[]): void {
  if (hypotheses.length !== references.length) {
    throw new RangeError(
      `BLEU: ${hypotheses.length} hypotheses but ${references.length} references; they must be aligned`,
    );
  }
}

/** Corpus BLEU with one tokenized reference per hypothesis. */
export function corpusBleu(
  hypotheses: readonly Tokens[],
  references: readonly Tokens[],
  options: BleuOptions = {},
): BleuResult {
  checkLengths(hypotheses, references);
  return corpusBleuMultiRef(
    hypotheses,
    references.map((r) => [r]),
    options,
  );
}

/** Corpus BLEU where `references[i]` lists every reference translation of hypothesis i. */
export function corpusBleuMultiRef(
  hypotheses: readonly Tokens[],
  references: readonly (readonly Tokens[])[],
  options: BleuOptions = {},
): BleuResult {
  checkLengths(hypotheses, references);
  const maxOrder = options.maxOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    throw new RangeError(`BLEU maxOrder must be an integer >= 1, got ${maxOrder}`);
  }
  let stats = emptyBleuStats(maxOrder);
  hypotheses.forEach((hyp, i) => {
    stats = addBleuStats(stats, bleuStats(hyp, references[i] as readonly Tokens[], maxOrder));
  });
  return bleuFromStats(stats, options);
}

/** BLEU of a single sentence (usually wants smoothing; BLEU is a corpus metric). */
export function sentenceBleu(
  hypothesis: Tokens,
  references: readonly Tokens[],
  options: BleuOptions = {},
): BleuResult {
  return bleuFromStats(bleuStats(hypothesis, references, options.maxOrder ?? 4), options);
}

/** Python's sys.float_info.min: NLTK's method0 precision for an order without a match. */
const PYTHON_FLOAT_MIN = 2.2250738585072014e-308;

/**
 * Corpus BLEU exactly as NLTK 3.8's `corpus_bleu(references, hypotheses, weights)` with uniform
 * weights 1/maxOrder and no smoothing function (its method0): per sentence the n-gram count of
 * each order is max(1, count); no unigram match → 0; an order without a match → precision
 * 2.2e-308 (a tiny positive BLEU, not 0); BP = 1 when c > r, 0 when c = 0, else exp(1 − r/c).
 * For comparison with papers that report NLTK scores; `corpusBleu` is the sacreBLEU reading.
 */
export function nltkCorpusBleu(
  hypotheses: readonly Tokens[],
  references: readonly (readonly Tokens[])[],
  maxOrder = 4,
): BleuResult {
  checkLengths(hypotheses, references);
  if (!Number.isInteger(maxOrder) || maxOrder < 1) {
    throw new RangeError(`BLEU maxOrder must be an integer >= 1, got ${maxOrder}`);
  }
  let stats = emptyBleuStats(maxOrder);
  hypotheses.forEach((hyp, i) => {
    const s = bleuStats(hyp, references[i] as readonly Tokens[], maxOrder);
    stats = addBleuStats(stats, { ...s, totals: s.totals.map((t) => Math.max(1, t)) });
  });
  const { matches, totals, hypLength, refLength } = stats;
  const bp = hypLength > refLength ? 1 : hypLength === 0 ? 0 : Math.exp(1 - refLength / hypLength);
  const precisions = matches.map((m, n) => (m > 0 ? m / (totals[n] as number) : 0));
  const result = (bleu: number): BleuResult => ({
    bleu,
    bleu100: 100 * bleu,
    precisions,
    bp,
    ratio: refLength > 0 ? hypLength / refLength : 0,
    hypLength,
    refLength,
    matches,
    totals,
  });
  if (matches[0] === 0) return result(0);
  let logSum = 0;
  for (const p of precisions) logSum += Math.log(p > 0 ? p : PYTHON_FLOAT_MIN) / maxOrder;
  return result(bp * Math.exp(logSum));
}
