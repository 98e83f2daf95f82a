import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/rng.js';
import {
  frechetDistance,
  frechetDistanceOfFeatures,
  gaussianFit,
  sqrtSymmetricPsd,
  symmetricEigen,
} from './frechet.js';

function randomFeatures(n: number, dim: number, seed: number, shift = 0, scale = 1): Float64Array {
  const rng = createRng('frechet-test', seed);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    // Correlated features: x_j = z_j + 0.5 z_{j-1}.
    let prev = 0;
    for (let j = 0; j < dim; j++) {
      const z = rng.normal();
      out[i * dim + j] = shift + scale * (z + 0.5 * prev);
      prev = z;
    }
  }
  return out;
}

describe('symmetricEigen / sqrtSymmetricPsd', () => {
  it('reconstructs a symmetric matrix and squares back', () => {
    const m = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2];
    const { values, vectors } = symmetricEigen(m, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!;
        expect(s).toBeCloseTo(m[i * 3 + j]!, 10);
      }
    const r = sqrtSymmetricPsd(m, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += r[i * 3 + k]! * r[k * 3 + j]!;
        expect(s).toBeCloseTo(m[i * 3 + j]!, 10);
      }
  });
});

describe('frechetDistance', () => {
  it('is ~0 for a sample set against itself', () => {
    const f = randomFeatures(200, 8, 1);
    expect(frechetDistanceOfFeatures(f, f, 8)).toBeLessThan(1e-8);
  });

  it('matches the 1-D closed form (m1-m2)² + (s1-s2)²', () => {
    const g1 = { dim: 1, mean: Float64Array.of(1), cov: Float64Array.of(4) };
    const g2 = { dim: 1, mean: Float64Array.of(-2), cov: Float64Array.of(9) };
    expect(frechetDistance(g1, g2)).toBeCloseTo(9 + 1, 10);
  });

  it('matches the closed form for diagonal covariances', () => {
    const g1 = { dim: 2, mean: Float64Array.of(0, 1), cov: Float64Array.of(1, 0, 0, 4) };
    const g2 = { dim: 2, mean: Float64Array.of(1, 1), cov: Float64Array.of(4, 0, 0, 16) };
    // 1 + (1-2)² + (2-4)²
    expect(frechetDistance(g1, g2)).toBeCloseTo(1 + 1 + 4, 10);
  });

  it('matches a non-commuting 2-D case computed by hand', () => {
    // C1 = I, C2 = [[2,1],[1,2]]: sqrt(C2) has eigenvalues sqrt(3), 1 → tr = sqrt(3) + 1.
    const g1 = { dim: 2, mean: Float64Array.of(0, 0), cov: Float64Array.of(1, 0, 0, 1) };
    const g2 = { dim: 2, mean: Float64Array.of(0, 0), cov: Float64Array.of(2, 1, 1, 2) };
    expect(frechetDistance(g1, g2)).toBeCloseTo(2 + 4 - 2 * (Math.sqrt(3) + 1), 10);
  });

  it('grows with a shift of the distribution, and is symmetric', () => {
    const a = randomFeatures(300, 6, 2);
    const b = randomFeatures(300, 6, 3);
    const c = randomFeatures(300, 6, 4, 1);
    const ab = frechetDistanceOfFeatures(a, b, 6);
    const ac = frechetDistanceOfFeatures(a, c, 6);
    expect(ac).toBeGreaterThan(ab + 4);
    expect(frechetDistanceOfFeatures(c, a, 6)).toBeCloseTo(ac, 8);
  });

  it('fits mean and sample covariance', () => {
    const g = gaussianFit([1, 2, 3, 6], 2);
    expect(Array.from(g.mean)).toEqual([2, 4]);
    expect(Array.from(g.cov)).toEqual([2, 4, 4, 8]);
  });
});
