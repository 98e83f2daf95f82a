import { ConfigError } from '../../engine/core/errors.js';
import type { Rng } from '../../engine/core/rng.js';
import { PAD_ID } from './vocabulary.js';

/**
 * Group example indices into batches of similar length, so that padding each batch to its
 * longest sequence wastes little. Sorted by `lengths` (then `secondary`, e.g. target length),
 * cut into batches of `batchSize` (the last may be smaller). With `rng`, examples of equal
 * length are shuffled and the batch order is shuffled; without, the result is deterministic.
 */
export function bucketByLength(
  lengths: readonly number[],
  batchSize: number,
  options: { rng?: Rng; secondary?: readonly number[] } = {},
): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError(`batch size must be an integer >= 1, got ${batchSize}`);
  }
  const { rng, secondary } = options;
  if (secondary !== undefined && secondary.length !== lengths.length) {
    throw new RangeError(`secondary has ${secondary.length} lengths, expected ${lengths.length}`);
  }
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  if (rng) shuffleInPlace(order, rng);
  // Array.prototype.sort is stable, so ties keep the (possibly shuffled) order.
  order.sort(
    (a, b) =>
      (lengths[a] as number) - (lengths[b] as number) ||
      (secondary ? (secondary[a] as number) - (secondary[b] as number) : 0),
  );
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  if (rng) shuffleInPlace(batches, rng);
  return batches;
}

function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

export interface PaddedBatch {
  /** Row-major `batchSize x length`, padded with `padId`. */
  readonly ids: Int32Array;
  readonly batchSize: number;
  readonly length: number;
  /** Unpadded length of each row. */
  readonly lengths: number[];
}

/** Pad sequences to the longest of them (or to `length`, cutting longer ones). */
export function padBatch(
  sequences: readonly (readonly number[])[],
  padId = PAD_ID,
  length?: number,
): PaddedBatch {
  const width = length ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  const ids = new Int32Array(sequences.length * width).fill(padId);
  const lengths: number[] = [];
  sequences.forEach((s, row) => {
    const n = Math.min(s.length, width);
    for (let k = 0; k < n; k++) ids[row * width + k] = s[k] as number;
    lengths.push(n);
  });
  return { ids, batchSize: sequences.length, length: width, lengths };
}

export interface TranslationBatch {
  /** Which examples (indices into the input) are in the batch, row by row. */
  readonly indices: number[];
  readonly source: PaddedBatch;
  readonly target: PaddedBatch;
}

/** Bucket (source, target) id sequences by length and pad each batch per side. */
export function makeTranslationBatches(
  pairs: readonly { readonly source: readonly number[]; readonly target: readonly number[] }[],
  batchSize: number,
  options: { rng?: Rng; padId?: number } = {},
): TranslationBatch[] {
  const buckets = bucketByLength(
    pairs.map((p) => p.source.length),
    batchSize,
    {
      secondary: pairs.map((p) => p.target.length),
      ...(options.rng ? { rng: options.rng } : {}),
    },
  );
  const padId = options.padId ?? PAD_ID;
  return buckets.map((indices) => ({
    indices,
    source: padBatch(
      indices.map((i) => (pairs[i] as (typeof pairs)[number]).source),
      padId,
    ),
    target: padBatch(
      indices.map((i) => (pairs[i] as (typeof pairs)[number]).target),
      padId,
    ),
  }));
}
