import { describe, expect, it } from 'vitest';
import { mean, sampleSd, tInterval95, tQuantile975 } from './stats.js';

describe('comparison statistics', () => {
  it('mean and sample sd', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(sampleSd([3])).toBe(0);
  });

  // Hand-computed: mean 2, sd 1, n = 3, t(2) = 4.303 → 2 ± 4.303/√3 = 2 ± 2.484.
  it('95 % t-interval', () => {
    const [lo, hi] = tInterval95([1, 2, 3]);
    expect(lo).toBeCloseTo(-0.484, 3);
    expect(hi).toBeCloseTo(4.484, 3);
    expect(tInterval95([5])).toEqual([5, 5]);
    expect(tQuantile975(4)).toBe(2.776);
    expect(tQuantile975(200)).toBe(1.96);
  });
});
