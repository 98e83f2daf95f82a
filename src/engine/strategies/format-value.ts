import type { HparamValue } from '../core/types.js';

/**
 * A short readable form of a hyperparameter value for lineage operations: integers as is,
 * 4 significant digits, exponent notation for very small or large magnitudes (`3.2e-4`).
 * The stored hyperparameters keep full precision; this is only for people reading the log.
 */
export function formatValue(v: HparamValue): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v) || v === 0) return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e6) return String(v);
  if (a < 1e-3 || a >= 1e6) {
    return v
      .toExponential(2)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  return String(Number(v.toPrecision(4)));
}
