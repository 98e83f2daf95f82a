import jStat from 'jstat';

/** Welch's unequal-variance t-test of "mean(a) > mean(b)". */
export interface WelchResult {
  /** t = (mean(a) − mean(b)) / sqrt(var(a)/na + var(b)/nb), sample variances (n − 1). */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly df: number;
  /** One-sided p-value P(T >= t) under equal means. */
  readonly p: number;
}

/**
 * One-sided Welch t-test that sample `a` has the larger mean. Needs at least 2 values in each
 * sample (returns null otherwise). When both samples have zero variance the means decide alone:
 * p = 0 if mean(a) > mean(b), else 1.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const ma = mean(a);
  const mb = mean(b);
  const sa = variance(a, ma) / a.length;
  const sb = variance(b, mb) / b.length;
  const se2 = sa + sb;
  if (se2 === 0) {
    const better = ma > mb;
    return { t: better ? Infinity : ma < mb ? -Infinity : 0, df: NaN, p: better ? 0 : 1 };
  }
  const t = (ma - mb) / Math.sqrt(se2);
  const df = se2 ** 2 / (sa ** 2 / (a.length - 1) + sb ** 2 / (b.length - 1));
  return { t, df, p: 1 - jStat.studentt.cdf(t, df) };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function variance(xs: readonly number[], m: number): number {
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}
