/** Adam (Kingma & Ba 2015) over a flat parameter array; its state is part of a checkpoint. */
export interface AdamState {
  /** First-moment estimate, one entry per parameter. */
  readonly m: Float64Array;
  /** Second-moment estimate. */
  readonly v: Float64Array;
  /** Steps taken (for bias correction). */
  t: number;
}

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPSILON = 1e-8;

export function createAdam(paramCount: number): AdamState {
  return { m: new Float64Array(paramCount), v: new Float64Array(paramCount), t: 0 };
}

/** One Adam step: params -= lr · m̂ / (√v̂ + ε). `grad` is read, not changed. */
export function adamStep(
  state: AdamState,
  params: Float64Array,
  grad: Float64Array,
  learningRate: number,
): void {
  state.t += 1;
  const { m, v } = state;
  // Bias corrections folded into the step size (the formulation of Kingma & Ba, section 2).
  const c1 = 1 - ADAM_BETA1 ** state.t;
  const c2 = 1 - ADAM_BETA2 ** state.t;
  const stepSize = (learningRate * Math.sqrt(c2)) / c1;
  const eps = ADAM_EPSILON * Math.sqrt(c2);
  for (let i = 0; i < params.length; i++) {
    const g = grad[i] ?? 0;
    const mi = ADAM_BETA1 * (m[i] ?? 0) + (1 - ADAM_BETA1) * g;
    const vi = ADAM_BETA2 * (v[i] ?? 0) + (1 - ADAM_BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = (params[i] ?? 0) - (stepSize * mi) / (Math.sqrt(vi) + eps);
  }
}
