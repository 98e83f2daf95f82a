import { describe, expect, it } from 'vitest';
import { welchTTest } from './welch.js';

describe('welchTTest', () => {
  it('matches a hand-computed t statistic and Welch–Satterthwaite df', () => {
    // a: mean 3, s² 2.5; b: mean 1.8, s² 0.7. s²a/na = 0.5, s²b/nb = 0.14, sum 0.64.
    // t = 1.2 / sqrt(0.64) = 1.5; df = 0.64² / (0.5²/4 + 0.14²/4) = 0.4096 / 0.0674 = 6.0772…
    const r = welchTTest([1, 2, 3, 4, 5], [1, 1, 2, 2, 3]);
    expect(r?.t).toBeCloseTo(1.5, 12);
    expect(r?.df).toBeCloseTo(0.4096 / 0.0674, 10);
    // One-sided p from scipy.stats.ttest_ind(equal_var=False, alternative='greater').
    expect(r?.p).toBeCloseTo(0.0918319432635491, 6);
  });

  it('gives a small p for a clearly better sample and a large one for the reverse', () => {
    // scipy: t = 7.0588657…, df = 6.2392152…, p = 0.000169994…
    const r = welchTTest([5, 6, 7, 6, 5, 7], [1, 2, 1, 3]);
    expect(r?.t).toBeCloseTo(7.058865787567897, 10);
    expect(r?.df).toBeCloseTo(6.239215255261858, 8);
    expect(r?.p).toBeCloseTo(0.00016999427816984867, 7);
    expect(welchTTest([1, 2, 1, 3], [5, 6, 7, 6, 5, 7])?.p).toBeGreaterThan(0.99);
  });

  it('needs two values per sample; zero variance is decided by the means', () => {
    expect(welchTTest([1], [1, 2])).toBeNull();
    expect(welchTTest([2, 2], [1, 1])?.p).toBe(0);
    expect(welchTTest([1, 1], [1, 1])?.p).toBe(1);
  });
});
