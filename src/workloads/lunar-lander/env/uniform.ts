import type { Rng } from '../../../engine/core/rng.js';

/** numpy's `uniform(low, high)` on our rng: low + (high - low) * U[0, 1). One draw. */
export function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng.next();
}
