/**
 * Summary statistics over seeds. The interval is a Student t-interval (normal scores assumed,
 * which a handful of seeds can neither confirm nor refute; the seeds are listed next to it).
 */

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN;
  return T975[df - 1] ?? 1.96;
}

/** 95 % t-interval of the mean; [x, x] for one value (no spread can be estimated). */
export function tInterval95(xs: readonly number[]): [number, number] {
  const m = mean(xs);
  if (xs.length < 2) return [m, m];
  const half = (tQuantile975(xs.length - 1) * sampleSd(xs)) / Math.sqrt(xs.length);
  return [m - half, m + half];
}
