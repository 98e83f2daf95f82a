import { describe, expect, it } from 'vitest';
import { classifierScore } from './classifier-score.js';

describe('classifierScore', () => {
  it('is 1 for uniform predictions', () => {
    expect(classifierScore(new Float32Array(50 * 10).fill(0.1), 10)).toBeCloseTo(1, 6);
  });

  it('is the class count for confident predictions spread evenly over the classes', () => {
    const probs = new Float64Array(100 * 10);
    for (let i = 0; i < 100; i++) probs[i * 10 + (i % 10)] = 1;
    expect(classifierScore(probs, 10)).toBeCloseTo(10, 9);
  });

  it('is 1 when every sample is confidently the same class (mode collapse)', () => {
    const probs = new Float64Array(20 * 10);
    for (let i = 0; i < 20; i++) probs[i * 10 + 3] = 1;
    expect(classifierScore(probs, 10)).toBeCloseTo(1, 9);
  });

  it('matches a hand-computed two-class case', () => {
    // rows (0.9,0.1) and (0.1,0.9): marginal (0.5,0.5), KL = 0.9 ln 1.8 + 0.1 ln 0.2 per row.
    const kl = 0.9 * Math.log(1.8) + 0.1 * Math.log(0.2);
    expect(classifierScore([0.9, 0.1, 0.1, 0.9], 2)).toBeCloseTo(Math.exp(kl), 12);
  });

  it('gives NaN for non-finite predictions and rejects misshaped input', () => {
    expect(classifierScore([Number.NaN, 1], 2)).toBeNaN();
    expect(() => classifierScore([0.5, 0.5, 1], 2)).toThrow(RangeError);
  });
});
