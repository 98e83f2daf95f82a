import type { Rng } from '../core/rng.js';
import { sampleHparams, sampleParam } from '../core/space.js';
import type { ParamSpec, SearchSpace } from '../core/space-types.js';
import type { HparamValue, Hparams } from '../core/types.js';

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), the independent per-parameter
 * variant that is Optuna's default sampler: split the finished trials into the best γ(n) and
 * the rest, fit a Parzen density to each (plus a wide prior component), draw candidates from the
 * density of the good ones and keep the one maximising l(x)/g(x). Pure: every draw comes from
 * the rng passed in.
 */

/** A finished configuration: its hyperparameters and its (maximised) score. */
export interface Observation {
  readonly hparams: Hparams;
  readonly score: number;
}

export interface TpeOptions {
  /** Random proposals until this many observations exist (Optuna's default is 10). */
  readonly startup?: number;
  /** Candidates drawn from l(x) per parameter (Optuna: 24). */
  readonly candidates?: number;
}

const DEFAULT_STARTUP = 10;
const DEFAULT_CANDIDATES = 24;

/** Optuna's default split: the best ⌈0.1·n⌉ trials, at most 25, at least 1, are "good". */
export function goodCount(n: number): number {
  return Math.max(1, Math.min(Math.ceil(0.1 * n), 25));
}

/** One proposal from the observations so far. */
export function proposeTpe(
  space: SearchSpace,
  observations: readonly Observation[],
  rng: Rng,
  options: TpeOptions = {},
): Hparams {
  const startup = options.startup ?? DEFAULT_STARTUP;
  const finite = observations.filter((o) => Number.isFinite(o.score));
  if (finite.length < Math.max(startup, 2)) return sampleHparams(space, rng);
  const sorted = [...finite].sort((a, b) => b.score - a.score);
  const nGood = goodCount(sorted.length);
  const good = sorted.slice(0, nGood).map((o) => o.hparams);
  const bad = sorted.slice(nGood).map((o) => o.hparams);
  const out: Record<string, HparamValue> = {};
  for (const [name, spec] of Object.entries(space)) {
    out[name] = proposeParam(
      spec,
      good.map((h) => h[name]),
      bad.map((h) => h[name]),
      rng,
      options.candidates ?? DEFAULT_CANDIDATES,
    );
  }
  return out;
}

/**
 * A batch of proposals for workers that train in parallel (constant liar, Ginsbourger et al.
 * 2010, as Optuna's `constant_liar`): each proposal joins the observations with the worst score
 * seen so far before the next is drawn, so the batch spreads out instead of repeating itself.
 */
export function proposeBatch(
  space: SearchSpace,
  observations: readonly Observation[],
  size: number,
  rng: Rng,
  options: TpeOptions = {},
): Hparams[] {
  const known = observations.filter((o) => Number.isFinite(o.score));
  const lie = known.length > 0 ? Math.min(...known.map((o) => o.score)) : 0;
  const seen = [...known];
  const batch: Hparams[] = [];
  for (let i = 0; i < size; i++) {
    const h = proposeTpe(space, seen, rng, options);
    batch.push(h);
    seen.push({ hparams: h, score: lie });
  }
  return batch;
}

function proposeParam(
  spec: ParamSpec,
  good: readonly (HparamValue | undefined)[],
  bad: readonly (HparamValue | undefined)[],
  rng: Rng,
  candidates: number,
): HparamValue {
  switch (spec.type) {
    case 'fixed':
      return spec.value;
    case 'categorical': {
      const l = categoricalWeights(spec.values, good);
      const g = categoricalWeights(spec.values, bad);
      let best = spec.values[0] ?? sampleParam(spec, rng);
      let bestScore = -Infinity;
      for (let c = 0; c < candidates; c++) {
        const i = drawIndex(l, rng);
        const s = Math.log(l[i] ?? 0) - Math.log(g[i] ?? 0);
        if (s > bestScore) [bestScore, best] = [s, spec.values[i] ?? best];
      }
      return best;
    }
    default: {
      const t = numericTransform(spec);
      const toX = (v: HparamValue | undefined): number | null =>
        typeof v === 'number' && Number.isFinite(v) ? t.forward(v) : null;
      const l = parzen(good.map(toX).filter(isNumber), t.lo, t.hi);
      const g = parzen(bad.map(toX).filter(isNumber), t.lo, t.hi);
      let best = l.sample(rng);
      let bestScore = -Infinity;
      for (let c = 0; c < candidates; c++) {
        const x = l.sample(rng);
        const s = l.logDensity(x) - g.logDensity(x);
        if (s > bestScore) [bestScore, best] = [s, x];
      }
      return t.backward(best);
    }
  }
}

const isNumber = (v: number | null): v is number => v !== null;

/** Counts per category plus one prior count each, normalised. */
function categoricalWeights(
  values: readonly HparamValue[],
  seen: readonly (HparamValue | undefined)[],
): number[] {
  const w = values.map((v) => 1 + seen.filter((s) => s === v).length);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function drawIndex(weights: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] ?? 0;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

interface Transform {
  readonly lo: number;
  readonly hi: number;
  forward(v: number): number;
  backward(x: number): number;
}

/** Log-scaled parameters are modelled in log space; integers are rounded on the way back. */
function numericTransform(spec: Exclude<ParamSpec, { type: 'fixed' | 'categorical' }>): Transform {
  const log = spec.type === 'loguniform' || (spec.type === 'int' && spec.log === true);
  const f = (v: number): number => (log ? Math.log(v) : v);
  const round = spec.type === 'int';
  return {
    lo: f(spec.min),
    hi: f(spec.max),
    forward: f,
    backward: (x) => {
      const v = Math.min(spec.max, Math.max(spec.min, log ? Math.exp(x) : x));
      return round ? Math.round(v) : v;
    },
  };
}

interface Parzen {
  sample(rng: Rng): number;
  logDensity(x: number): number;
}

/**
 * A mixture of Gaussians truncated to [lo, hi]: one per point plus a prior centred on the range
 * with the range as its width. Each point's bandwidth is the larger gap to its sorted
 * neighbours, clipped to [range / min(100, n + 1), range] (Bergstra et al.'s heuristic).
 */
function parzen(points: readonly number[], lo: number, hi: number): Parzen {
  const range = Math.max(hi - lo, 1e-12);
  const prior = { mu: (lo + hi) / 2, sigma: range };
  const sorted = [...points, prior.mu].sort((a, b) => a - b);
  const minSigma = range / Math.min(100, points.length + 1);
  const components = points.map((mu) => {
    const i = sorted.indexOf(mu);
    const left = mu - (sorted[i - 1] ?? lo);
    const right = (sorted[i + 1] ?? hi) - mu;
    return { mu, sigma: Math.min(range, Math.max(minSigma, left, right)) };
  });
  components.push(prior);
  const weight = 1 / components.length;
  const mass = components.map(
    (c) => normalCdf((hi - c.mu) / c.sigma) - normalCdf((lo - c.mu) / c.sigma),
  );
  return {
    sample: (rng) => {
      const c = components[rng.int(components.length)] ?? prior;
      for (let tries = 0; tries < 100; tries++) {
        const x = c.mu + c.sigma * rng.normal();
        if (x >= lo && x <= hi) return x;
      }
      return Math.min(hi, Math.max(lo, c.mu));
    },
    logDensity: (x) => {
      let p = 0;
      components.forEach((c, i) => {
        const z = (x - c.mu) / c.sigma;
        p +=
          (weight * Math.exp(-0.5 * z * z)) /
          (c.sigma * Math.sqrt(2 * Math.PI) * Math.max(mass[i] ?? 1, 1e-12));
      });
      return Math.log(Math.max(p, 1e-300));
    },
  };
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
