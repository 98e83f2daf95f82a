/** A GP input: time (normalised to [0, 1]) and hyperparameters (each normalised to [0, 1]). */
export interface GpPoint {
  readonly t: number;
  readonly x: readonly number[];
}

export type Kernel = (a: GpPoint, b: GpPoint) => number;

export interface TimeVaryingKernelParams {
  /** Squared-exponential length scale over the normalised hyperparameters. */
  readonly lengthscale: number;
  /** Forgetting rate in [0, 1): correlation decays as (1 − epsilon)^(|t − t'| / 2). */
  readonly epsilon: number;
  /** Prior variance (signal variance); 1 for standardised targets. */
  readonly variance?: number;
}

/**
 * PB2's time-varying kernel (Parker-Holder et al. 2020, after Bogunovic et al. 2016):
 * k = variance · exp(−‖x − x'‖² / (2·lengthscale²)) · (1 − epsilon)^(|t − t'| / 2).
 * Old observations count for less as training moves on: the best hyperparameters change over
 * time.
 */
export function timeVaryingKernel(p: TimeVaryingKernelParams): Kernel {
  const variance = p.variance ?? 1;
  const inv2l2 = 1 / (2 * p.lengthscale * p.lengthscale);
  const logDecay = Math.log1p(-p.epsilon) / 2;
  return (a, b) => {
    let d2 = 0;
    for (let i = 0; i < a.x.length; i++) d2 += ((a.x[i] ?? 0) - (b.x[i] ?? 0)) ** 2;
    return variance * Math.exp(-d2 * inv2l2 + logDecay * Math.abs(a.t - b.t));
  };
}
