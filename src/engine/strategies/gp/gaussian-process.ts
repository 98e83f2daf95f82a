import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { timeVaryingKernel, type GpPoint, type Kernel } from './kernel.js';

export interface Prediction {
  readonly mean: number[];
  /** Posterior variance of the latent function (without observation noise). */
  readonly variance: number[];
}

/**
 * Exact GP regression with a zero prior mean: posterior mean k*ᵀ(K + σ²I)⁻¹y and variance
 * k** − ‖L⁻¹k*‖², with K + σ²I = LLᵀ factorised by ml-matrix.
 */
export class GaussianProcess {
  private constructor(
    readonly points: readonly GpPoint[],
    readonly y: readonly number[],
    readonly kernel: Kernel,
    readonly noise: number,
    /** Rows of the Cholesky factor L, for the per-query forward substitution. */
    private readonly lower: readonly Float64Array[],
    private readonly alpha: Float64Array,
    /** log p(y | X, kernel, noise): what kernel settings are chosen by. */
    readonly logMarginalLikelihood: number,
  ) {}

  /** Condition on (points, y); `noise` is the observation noise variance σ². */
  static fit(
    points: readonly GpPoint[],
    y: readonly number[],
    kernel: Kernel,
    noise: number,
  ): GaussianProcess {
    if (points.length !== y.length || points.length === 0) {
      throw new Error(`GP needs as many targets as points (got ${points.length} and ${y.length})`);
    }
    const n = points.length;
    const k = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      const pi = points[i] as GpPoint;
      for (let j = 0; j <= i; j++) {
        const v = kernel(pi, points[j] as GpPoint) + (i === j ? noise : 0);
        k.set(i, j, v);
        k.set(j, i, v);
      }
    }
    const chol = new CholeskyDecomposition(k);
    if (!chol.isPositiveDefinite()) {
      throw new Error('GP kernel matrix is not positive definite; raise the noise');
    }
    const alpha = Float64Array.from(chol.solve(Matrix.columnVector([...y])).getColumn(0));
    const lower = chol.lowerTriangularMatrix.to2DArray().map((row) => Float64Array.from(row));
    let logDet = 0;
    let fit = 0;
    for (let i = 0; i < n; i++) {
      logDet += Math.log(lower[i]?.[i] ?? 1);
      fit += (y[i] ?? 0) * (alpha[i] ?? 0);
    }
    const lml = -0.5 * fit - logDet - (n / 2) * Math.log(2 * Math.PI);
    return new GaussianProcess(points, y, kernel, noise, lower, alpha, lml);
  }

  predict(queries: readonly GpPoint[]): Prediction {
    const n = this.points.length;
    const ks = new Float64Array(n);
    const v = new Float64Array(n);
    const mean: number[] = [];
    const variance: number[] = [];
    for (const q of queries) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        ks[i] = this.kernel(this.points[i] as GpPoint, q);
        m += (ks[i] ?? 0) * (this.alpha[i] ?? 0);
      }
      // Forward substitution L v = k*; then k*ᵀ(K + σ²I)⁻¹k* = v·v.
      let reduce = 0;
      for (let i = 0; i < n; i++) {
        const row = this.lower[i] as Float64Array;
        let sum = ks[i] ?? 0;
        for (let j = 0; j < i; j++) sum -= (row[j] ?? 0) * (v[j] ?? 0);
        const vi = sum / (row[i] ?? 1);
        v[i] = vi;
        reduce += vi * vi;
      }
      mean.push(m);
      variance.push(Math.max(0, this.kernel(q, q) - reduce));
    }
    return { mean, variance };
  }

  /**
   * The same GP also conditioned on `pending` inputs whose outcome is not known yet, with the
   * current posterior mean as their value (GP-BUCB, Desautels et al. 2014): the mean stays the
   * same, the variance drops near configurations already being tried.
   */
  withPending(pending: readonly GpPoint[]): GaussianProcess {
    if (pending.length === 0) return this;
    const { mean } = this.predict(pending);
    return GaussianProcess.fit(
      [...this.points, ...pending],
      [...this.y, ...mean],
      this.kernel,
      this.noise,
    );
  }
}

export interface TimeVaryingFitOptions {
  readonly noise?: number;
  readonly lengthscales?: readonly number[];
  readonly epsilons?: readonly number[];
  /** Kernel settings are chosen on at most this many of the newest points (default 100). */
  readonly selectOn?: number;
}

/**
 * A GP with PB2's time-varying kernel, its length scale and forgetting rate chosen from a small
 * grid by marginal likelihood on the newest `selectOn` points, then fitted to all points (the
 * grid and the subset keep the cost bounded — one O(n³) factorisation of the full data — and
 * the choice deterministic).
 */
export function fitTimeVaryingGp(
  points: readonly GpPoint[],
  y: readonly number[],
  opts: TimeVaryingFitOptions = {},
): GaussianProcess {
  const noise = opts.noise ?? 0.1;
  const from = Math.max(0, points.length - (opts.selectOn ?? 100));
  const subset = points.slice(from);
  const ySubset = y.slice(from);
  let best: GaussianProcess | null = null;
  for (const lengthscale of opts.lengthscales ?? [0.2, 0.5, 1]) {
    for (const epsilon of opts.epsilons ?? [0.05, 0.3]) {
      const kernel = timeVaryingKernel({ lengthscale, epsilon });
      const gp = GaussianProcess.fit(subset, ySubset, kernel, noise);
      if (best === null || gp.logMarginalLikelihood > best.logMarginalLikelihood) best = gp;
    }
  }
  if (best === null) throw new Error('fitTimeVaryingGp: empty kernel grid');
  return from === 0 ? best : GaussianProcess.fit(points, y, best.kernel, noise);
}

/** The index of the candidate with the highest upper confidence bound mean + kappa·sd. */
export function ucbArgmax(
  gp: GaussianProcess,
  candidates: readonly GpPoint[],
  kappa: number,
): number {
  const { mean, variance } = gp.predict(candidates);
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const value = (mean[i] ?? 0) + kappa * Math.sqrt(variance[i] ?? 0);
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}
