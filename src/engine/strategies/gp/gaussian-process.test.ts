import { describe, expect, it } from 'vitest';
import { GaussianProcess, fitTimeVaryingGp, ucbArgmax } from './gaussian-process.js';
import { timeVaryingKernel, type GpPoint } from './kernel.js';

const at = (x: number, t = 0): GpPoint => ({ t, x: [x] });

describe('time-varying kernel', () => {
  it('is the squared exponential in x times (1 − ε)^(|Δt|/2)', () => {
    const k = timeVaryingKernel({ lengthscale: 0.5, epsilon: 0.3 });
    expect(k(at(0, 0), at(0, 1))).toBeCloseTo(Math.sqrt(0.7), 12);
    // exp(−0.5² / (2·0.5²)) · 0.7^0.2
    expect(k(at(0, 0.2), at(0.5, 0.6))).toBeCloseTo(Math.exp(-0.5) * 0.7 ** 0.2, 12);
    expect(k(at(0.3, 0.4), at(0.3, 0.4))).toBe(1);
  });
});

describe('GaussianProcess', () => {
  // Three points x = 0, 0.5, 1 with y = 1, 2, 0; k = exp(−(x − x')² / (2·0.5²)), noise 0.01.
  // K + σ²I = [[1.01, e^-0.5, e^-2], [e^-0.5, 1.01, e^-0.5], [e^-2, e^-0.5, 1.01]]; the numbers
  // below are k*ᵀ(K + σ²I)⁻¹y and 1 − k*ᵀ(K + σ²I)⁻¹k*, checked with numpy.linalg.solve.
  const gp = GaussianProcess.fit(
    [at(0), at(0.5), at(1)],
    [1, 2, 0],
    timeVaryingKernel({ lengthscale: 0.5, epsilon: 0 }),
    0.01,
  );

  it('matches the hand-checked 3-point posterior', () => {
    const { mean, variance } = gp.predict([at(0.25), at(2)]);
    expect(mean[0]).toBeCloseTo(1.8188140691837253, 10);
    expect(variance[0]).toBeCloseTo(0.02502048666131007, 10);
    // Far from the data: back towards the prior (mean 0, variance 1).
    expect(mean[1]).toBeCloseTo(-0.2608983027819642, 10);
    expect(variance[1]).toBeCloseTo(0.9715108906595914, 10);
    expect(gp.logMarginalLikelihood).toBeCloseTo(-5.702337312685086, 10);
  });

  it('pending points lower the variance there and leave the mean unchanged (batch-aware)', () => {
    const before = gp.predict([at(2), at(1.9), at(0.25)]);
    const after = gp.withPending([at(2)]).predict([at(2), at(1.9), at(0.25)]);
    for (let i = 0; i < 3; i++) expect(after.mean[i]).toBeCloseTo(before.mean[i] ?? NaN, 10);
    expect(after.variance[0]).toBeLessThan(0.02);
    expect(before.variance[0]).toBeGreaterThan(0.9);
    expect(after.variance[1]).toBeLessThan((before.variance[1] ?? 0) / 2);
    expect(after.variance[2]).toBeLessThanOrEqual(before.variance[2] ?? 0);
  });

  it('older observations count for less under a forgetting kernel', () => {
    const k = timeVaryingKernel({ lengthscale: 0.5, epsilon: 0.5 });
    // Same x: improvement 1 long ago (t = 0), −1 just now (t = 1).
    const g = GaussianProcess.fit([at(0.5, 0), at(0.5, 1)], [1, -1], k, 0.01);
    expect(g.predict([at(0.5, 1)]).mean[0]).toBeLessThan(-0.5);
  });

  it('UCB prefers high mean with kappa 0 and unexplored regions with a large kappa', () => {
    const candidates = [at(0.5), at(3)];
    expect(ucbArgmax(gp, candidates, 0)).toBe(0);
    expect(ucbArgmax(gp, candidates, 5)).toBe(1);
  });

  it('fits kernel settings by marginal likelihood from the grid', () => {
    const xs = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
    const smooth = fitTimeVaryingGp(
      xs.map((x) => at(x)),
      xs.map((x) => Math.sin(2 * x)),
      { lengthscales: [0.05, 1], epsilons: [0.1] },
    );
    const wiggly = fitTimeVaryingGp(
      xs.map((x) => at(x)),
      xs.map((_, i) => (i % 2 === 0 ? 1 : -1)),
      { lengthscales: [0.05, 1], epsilons: [0.1] },
    );
    expect(smooth.logMarginalLikelihood).toBeGreaterThan(wiggly.logMarginalLikelihood);
    // Between two points the smooth curve is predicted (shrunk a little by the noise 0.1).
    expect(Math.abs((smooth.predict([at(0.45)]).mean[0] ?? 0) - Math.sin(0.9))).toBeLessThan(0.1);
  });
});
