import { describe, expect, it } from 'vitest';

import { createRng } from '../../engine/core/rng.js';
import { bucketByLength, makeTranslationBatches, padBatch } from './batching.js';

describe('bucketByLength', () => {
  it('sorts by length (then secondary) and cuts into batches', () => {
    const lengths = [5, 1, 3, 1, 4, 2, 3];
    expect(bucketByLength(lengths, 3)).toEqual([[1, 3, 5], [2, 6, 4], [0]]);
    expect(bucketByLength([2, 2, 2], 2, { secondary: [9, 1, 5] })).toEqual([[1, 2], [0]]);
  });

  it('with an rng: same batches of similar length, shuffled order, reproducible', () => {
    const lengths = Array.from({ length: 40 }, (_, i) => i % 10);
    const a = bucketByLength(lengths, 4, { rng: createRng('b', 1) });
    const b = bucketByLength(lengths, 4, { rng: createRng('b', 1) });
    expect(a).toEqual(b);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const batch of a) expect(new Set(batch.map((i) => lengths[i])).size).toBe(1);
    const firstLengths = a.map((batch) => lengths[batch[0] as number]);
    expect(firstLengths).not.toEqual([...firstLengths].sort((x, y) => (x ?? 0) - (y ?? 0)));
  });
});

describe('padBatch / makeTranslationBatches', () => {
  it('pads each batch to its own longest sequence', () => {
    const batch = padBatch([
      [7, 8, 2],
      [9, 2],
    ]);
    expect(batch.length).toBe(3);
    expect(Array.from(batch.ids)).toEqual([7, 8, 2, 9, 2, 0]);
    expect(batch.lengths).toEqual([3, 2]);
    expect(Array.from(padBatch([[1, 2, 3]], 0, 2).ids)).toEqual([1, 2]);
  });

  it('pairs keep source and target together, each side padded separately', () => {
    const pairs = [
      { source: [4, 4, 4, 2], target: [5, 2] },
      { source: [6, 2], target: [7, 7, 7, 7, 2] },
      { source: [8, 8, 2], target: [9, 2] },
    ];
    const batches = makeTranslationBatches(pairs, 2);
    expect(batches.map((b) => b.indices)).toEqual([[1, 2], [0]]);
    const first = batches[0];
    expect(first?.source.length).toBe(3);
    expect(first?.target.length).toBe(5);
    expect(Array.from(first?.target.ids ?? [])).toEqual([7, 7, 7, 7, 2, 9, 2, 0, 0, 0]);
  });
});
