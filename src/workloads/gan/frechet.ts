/**
 * Fréchet distance between Gaussian fits of two feature sets (the formula of FID):
 *   |m1 - m2|² + tr(C1) + tr(C2) - 2 tr(sqrt(C1 C2)).
 * tr(sqrt(C1 C2)) is computed as tr(sqrt(S C2 S)) with S = sqrt(C1): S C2 S is symmetric PSD and
 * similar to C1 C2, so only symmetric eigen-decompositions (Jacobi) are needed.
 */

/** Mean and covariance (divisor n - 1) of `count` rows of `dim` features. */
export interface GaussianFit {
  readonly dim: number;
  readonly mean: Float64Array;
  /** dim × dim, row-major. */
  readonly cov: Float64Array;
}

export function gaussianFit(features: ArrayLike<number>, dim: number): GaussianFit {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError('dim must be >= 1');
  if (features.length % dim !== 0) {
    throw new RangeError(`${features.length} features are not a multiple of dim ${dim}`);
  }
  const n = features.length / dim;
  if (n < 2) throw new RangeError('a covariance needs at least 2 samples');
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (features[i * dim + j] as number);
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / n;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++)
      centred[j] = (features[i * dim + j] as number) - (mean[j] as number);
    for (let a = 0; a < dim; a++) {
      const ca = centred[a] as number;
      if (ca === 0) continue;
      for (let b = a; b < dim; b++)
        cov[a * dim + b] = (cov[a * dim + b] as number) + ca * (centred[b] as number);
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = (cov[a * dim + b] as number) / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, mean, cov };
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
 * Returns eigenvalues and eigenvectors (columns of `vectors`, row-major dim × dim).
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  dim: number,
  { maxSweeps = 100, tolerance = 1e-14 } = {},
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  if (a.length !== dim * dim) throw new RangeError(`expected a ${dim}×${dim} matrix`);
  const v = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) v[i * dim + i] = 1;
  const at = (i: number, j: number): number => a[i * dim + j] as number;
  let scale = 0;
  for (let i = 0; i < dim * dim; i++) scale += (a[i] as number) ** 2;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += at(p, q) ** 2;
    if (off <= tolerance * tolerance * scale || off === 0) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q.
        for (let k = 0; k < dim; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          a[k * dim + p] = c * akp - s * akq;
          a[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          a[p * dim + k] = c * apk - s * aqk;
          a[q * dim + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < dim; k++) {
          const vkp = v[k * dim + p] as number;
          const vkq = v[k * dim + q] as number;
          v[k * dim + p] = c * vkp - s * vkq;
          v[k * dim + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(dim);
  for (let i = 0; i < dim; i++) values[i] = at(i, i);
  return { values, vectors: v };
}

/** Square root of a symmetric PSD matrix (tiny negative eigenvalues from rounding clamp to 0). */
export function sqrtSymmetricPsd(matrix: ArrayLike<number>, dim: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, dim);
  const out = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) {
    const root = Math.sqrt(Math.max(0, values[k] as number));
    if (root === 0) continue;
    for (let i = 0; i < dim; i++) {
      const vik = (vectors[i * dim + k] as number) * root;
      if (vik === 0) continue;
      for (let j = 0; j < dim; j++)
        out[i * dim + j] = (out[i * dim + j] as number) + vik * (vectors[j * dim + k] as number);
    }
  }
  return out;
}

function matMul(x: Float64Array, y: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++)
    for (let k = 0; k < dim; k++) {
      const xik = x[i * dim + k] as number;
      if (xik === 0) continue;
      for (let j = 0; j < dim; j++)
        out[i * dim + j] = (out[i * dim + j] as number) + xik * (y[k * dim + j] as number);
    }
  return out;
}

/** Fréchet distance between two Gaussian fits of the same dimension. NaN if either is not finite. */
export function frechetDistance(g1: GaussianFit, g2: GaussianFit): number {
  const dim = g1.dim;
  if (g2.dim !== dim) throw new RangeError(`dimensions differ: ${dim} vs ${g2.dim}`);
  for (const arr of [g1.mean, g1.cov, g2.mean, g2.cov])
    for (const x of arr) if (!Number.isFinite(x)) return Number.NaN;
  let meanTerm = 0;
  for (let j = 0; j < dim; j++) meanTerm += ((g1.mean[j] as number) - (g2.mean[j] as number)) ** 2;
  const s = sqrtSymmetricPsd(g1.cov, dim);
  const middle = matMul(matMul(s, g2.cov, dim), s, dim);
  // Symmetrise away rounding before the eigen-solver.
  for (let i = 0; i < dim; i++)
    for (let j = i + 1; j < dim; j++) {
      const m = ((middle[i * dim + j] as number) + (middle[j * dim + i] as number)) / 2;
      middle[i * dim + j] = m;
      middle[j * dim + i] = m;
    }
  const { values } = symmetricEigen(middle, dim);
  let traceSqrt = 0;
  for (const x of values) traceSqrt += Math.sqrt(Math.max(0, x));
  let tr1 = 0;
  let tr2 = 0;
  for (let i = 0; i < dim; i++) {
    tr1 += g1.cov[i * dim + i] as number;
    tr2 += g2.cov[i * dim + i] as number;
  }
  // Rounding can make a distance of a set with itself slightly negative.
  return Math.max(0, meanTerm + tr1 + tr2 - 2 * traceSqrt);
}

/** Fréchet distance between two feature sets (rows of `dim` features). */
export function frechetDistanceOfFeatures(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
): number {
  return frechetDistance(gaussianFit(a, dim), gaussianFit(b, dim));
}
