/**
 * The Inception-Score formula, exp(E_x KL(p(y|x) || p(y))), over any classifier's predicted class
 * probabilities. With our own CIFAR-10 classifier instead of Inception-v3 it is called the
 * "classifier score": its values are not comparable with published Inception Scores.
 *
 * `probs` holds `count` rows of `classes` probabilities (row-major). Rows need not be exactly
 * normalised (float32 softmax); each row is renormalised. Returns NaN if any entry is not finite,
 * so a diverged generator scores worst.
 */
export function classifierScore(probs: ArrayLike<number>, classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`classes must be >= 1`);
  if (probs.length === 0 || probs.length % classes !== 0) {
    throw new RangeError(
      `probs has ${probs.length} entries, not a positive multiple of ${classes} classes`,
    );
  }
  const count = probs.length / classes;
  const rows = new Float64Array(probs.length);
  const marginal = new Float64Array(classes);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const p = probs[i * classes + c] as number;
      if (!Number.isFinite(p) || p < 0) return Number.NaN;
      sum += p;
    }
    if (!(sum > 0)) return Number.NaN;
    for (let c = 0; c < classes; c++) {
      const p = (probs[i * classes + c] as number) / sum;
      rows[i * classes + c] = p;
      marginal[c] = (marginal[c] as number) + p / count;
    }
  }
  let meanKl = 0;
  for (let i = 0; i < count; i++) {
    let kl = 0;
    for (let c = 0; c < classes; c++) {
      const p = rows[i * classes + c] as number;
      // 0 · log 0 = 0; p > 0 implies marginal[c] > 0.
      if (p > 0) kl += p * Math.log(p / (marginal[c] as number));
    }
    meanKl += kl / count;
  }
  return Math.exp(meanKl);
}
