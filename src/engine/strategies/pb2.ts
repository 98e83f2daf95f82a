import type { Rng } from '../core/rng.js';
import { clampNumeric, type NumericSpec } from '../core/space.js';
import type { ParamSpec, SearchSpace } from '../core/space-types.js';
import type {
  HparamValue,
  Hparams,
  MemberId,
  MemberView,
  PopulationHistory,
  PopulationSnapshot,
} from '../core/types.js';
import type { ExploreConfig } from './config-types.js';
import { explore, type ExploreResult } from './explore.js';
import { formatValue as fmt } from './format-value.js';
import { fitTimeVaryingGp, ucbArgmax, type GpPoint } from './gp/index.js';

export const DEFAULT_PB2_KAPPA = 2;
export const DEFAULT_PB2_MAX_POINTS = 250;
/** Random candidates the UCB is maximised over (plus the donor's own point). */
export const PB2_CANDIDATES = 128;
/** Below this many observed intervals the GP says little: perturb instead. */
export const PB2_MIN_POINTS = 4;

/** One observed ready interval: where it ended and how much the score changed over it. */
export interface Pb2Observation {
  readonly step: number;
  readonly hparams: Hparams;
  readonly improvement: number;
}

/** Who is deciding, and what the population has seen: PB2's inputs besides the donor. */
export interface Pb2Context {
  readonly self: MemberView;
  readonly population: PopulationSnapshot;
  readonly history: PopulationHistory | undefined;
}

/**
 * Score improvements per ready interval: consecutive evaluations of one member with no exploit
 * between them (an exploit swaps the weights, so that difference measures no hyperparameter).
 * The last `maxPoints`, by step.
 */
export function pb2Observations(
  history: PopulationHistory | undefined,
  maxPoints: number,
): Pb2Observation[] {
  const out: Pb2Observation[] = [];
  for (const { points, exploitSteps } of history?.values() ?? []) {
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1];
      const b = points[i];
      if (a === undefined || b === undefined) continue;
      if (exploitSteps.some((e) => e >= a.step && e < b.step)) continue;
      out.push({ step: b.step, hparams: b.hparams, improvement: b.score - a.score });
    }
  }
  return out.sort((p, q) => p.step - q.step).slice(-maxPoints);
}

/**
 * Members already sent to a new configuration but not evaluated since (their last exploit is
 * at or after their last evaluation): PB2's batch, whose outcomes are pending.
 */
export function pendingMembers(
  ctx: Pb2Context,
): { readonly id: MemberId; readonly hparams: Hparams }[] {
  return ctx.population.filter((m) => {
    if (m.id === ctx.self.id || m.status === 'done' || m.status === 'failed') return false;
    const h = ctx.history?.get(m.id);
    const lastExploit = Math.max(-Infinity, ...(h?.exploitSteps ?? []));
    const lastPoint = h?.points[h.points.length - 1]?.step ?? -Infinity;
    return lastExploit >= lastPoint;
  });
}

/**
 * PB2 explore (Parker-Holder et al. 2020): fit a GP with a time-varying kernel to
 * (time, numeric hyperparameters) → score improvement per ready interval, condition it on the
 * configurations other members were just given (batch-aware), and pick the numeric
 * hyperparameters maximising mean + kappa·sd over the whole space. Ints are rounded;
 * categorical params keep the built-in shift/resample. With fewer than PB2_MIN_POINTS observed
 * intervals (early in a run) it falls back to the built-in perturb explore.
 */
export function pb2Explore(
  donorHparams: Hparams,
  space: SearchSpace,
  cfg: ExploreConfig,
  rng: Rng,
  ctx: Pb2Context,
): ExploreResult {
  const perturbCfg: ExploreConfig = { ...cfg, kind: 'perturb' };
  const numeric = Object.entries(space).filter((e): e is [string, NumericSpec] => isNumeric(e[1]));
  const data = pb2Observations(ctx.history, cfg.pb2?.maxPoints ?? DEFAULT_PB2_MAX_POINTS);
  if (numeric.length === 0 || data.length < PB2_MIN_POINTS) {
    const fallback = explore(donorHparams, space, perturbCfg, rng);
    const why = `pb2: ${data.length} observed intervals (< ${PB2_MIN_POINTS}), perturbed instead`;
    return { hparams: fallback.hparams, operations: [why, ...fallback.operations] };
  }

  const tMax = Math.max(ctx.self.step, ...data.map((d) => d.step));
  const toPoint = (step: number, h: Hparams): GpPoint => ({
    t: step / tMax,
    x: numeric.map(([name, spec]) => toUnit(spec, Number(h[name]))),
  });
  const ys = standardise(data.map((d) => d.improvement));
  const gp = fitTimeVaryingGp(
    data.map((d) => toPoint(d.step, d.hparams)),
    ys,
  ).withPending(pendingMembers(ctx).map((m) => toPoint(ctx.self.step, m.hparams)));

  const candidates: GpPoint[] = [toPoint(ctx.self.step, donorHparams)];
  for (let i = 0; i < PB2_CANDIDATES; i++) {
    candidates.push({ t: ctx.self.step / tMax, x: numeric.map(() => rng.next()) });
  }
  const pick = candidates[ucbArgmax(gp, candidates, cfg.pb2?.kappa ?? DEFAULT_PB2_KAPPA)];

  // Categorical params: the built-in explore on just those.
  const categorical = Object.fromEntries(
    Object.entries(space).filter(([, s]) => s.type === 'categorical'),
  );
  const cat = explore(donorHparams, categorical, { ...perturbCfg, noise: undefined }, rng);
  const hparams: Record<string, HparamValue> = { ...donorHparams, ...cat.hparams };
  const operations = [...cat.operations];
  numeric.forEach(([name, spec], i) => {
    const old = Number(donorHparams[name]);
    const value = fromUnit(spec, pick?.x[i] ?? toUnit(spec, old));
    hparams[name] = value;
    operations.push(`${name} ${fmt(old)}→${fmt(value)} (pb2 ucb)`);
  });
  for (const [name, spec] of Object.entries(space)) {
    if (spec.type === 'fixed') hparams[name] = spec.value;
  }
  return { hparams, operations };
}

function isNumeric(spec: ParamSpec): spec is NumericSpec {
  return spec.type === 'uniform' || spec.type === 'loguniform' || spec.type === 'int';
}

const isLog = (spec: NumericSpec): boolean =>
  spec.type === 'loguniform' || (spec.type === 'int' && spec.log === true);

/** A value's position in [0, 1] across its bounds (log-scaled for log params). */
export function toUnit(spec: NumericSpec, v: number): number {
  const f = isLog(spec) ? Math.log : (x: number): number => x;
  const span = f(spec.max) - f(spec.min);
  return span > 0 ? Math.min(1, Math.max(0, (f(v) - f(spec.min)) / span)) : 0.5;
}

/** The value at position u in [0, 1] of a param's bounds; ints rounded, always in bounds. */
export function fromUnit(spec: NumericSpec, u: number): number {
  const raw = isLog(spec)
    ? Math.exp(Math.log(spec.min) + u * (Math.log(spec.max) - Math.log(spec.min)))
    : spec.min + u * (spec.max - spec.min);
  return clampNumeric(spec, spec.type === 'int' ? Math.round(raw) : raw);
}

function standardise(ys: readonly number[]): number[] {
  const m = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sd = Math.sqrt(ys.reduce((a, b) => a + (b - m) ** 2, 0) / ys.length);
  return ys.map((y) => (y - m) / (sd > 0 ? sd : 1));
}
