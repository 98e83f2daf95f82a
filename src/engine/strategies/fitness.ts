import { ConfigError } from '../core/errors.js';
import type { MemberHistory, MemberView, PopulationHistory } from '../core/types.js';
import type { FitnessConfig } from './config-types.js';

export const DEFAULT_FITNESS_WINDOW = 5;
export const DEFAULT_EMA_ALPHA = 0.5;

/** Scores a member earned with its current weights: its evaluations since its last exploit. */
export function currentScores(history: MemberHistory | undefined): number[] {
  if (history === undefined) return [];
  const since = history.exploitSteps.reduce((a, b) => Math.max(a, b), -Infinity);
  return history.points.filter((p) => p.step > since).map((p) => p.score);
}

/** Steps of the same evaluations as `currentScores`, for the trend fit. */
function currentPoints(history: MemberHistory | undefined): { step: number; score: number }[] {
  if (history === undefined) return [];
  const since = history.exploitSteps.reduce((a, b) => Math.max(a, b), -Infinity);
  return history.points.filter((p) => p.step > since);
}

/** Check a fitness config; throws ConfigError listing every problem. */
export function validateFitnessConfig(cfg: FitnessConfig): void {
  const issues: string[] = [];
  if (cfg.kind === 'mean' || cfg.kind === 'trend') {
    const w = cfg.window;
    if (w !== undefined && !(Number.isInteger(w) && w >= 1)) {
      issues.push(`fitness.window: ${w} must be a whole number of evaluations >= 1`);
    }
  }
  if (cfg.kind === 'ema' && cfg.alpha !== undefined && !(cfg.alpha > 0 && cfg.alpha <= 1)) {
    issues.push(`fitness.alpha: ${cfg.alpha} must be in (0, 1] (1 is the last score)`);
  }
  if (cfg.kind === 'trend' && cfg.horizon !== undefined && !(cfg.horizon >= 0)) {
    issues.push(`fitness.horizon: ${cfg.horizon} must be a number of steps >= 0`);
  }
  if (issues.length > 0) throw new ConfigError('invalid fitness config:', issues);
}

/**
 * What exploit ranks `m` by. Windows only see the member's evaluations since its last exploit
 * (earlier ones scored other weights); with none yet (just exploited) or no history, the last
 * score. Non-finite inputs never reach here: ineligible members are not ranked.
 *
 * - last: the last score (no smoothing; fine when evaluation is nearly noise-free).
 * - mean: mean of the last `window` evaluations (noisy evaluation, slow-moving scores).
 * - ema: e ← alpha·score + (1 − alpha)·e over the evaluations, oldest first (noise, but more
 *   weight on the present than a flat mean).
 * - trend: least-squares line over the last `window` evaluations, read `horizon` steps past the
 *   last one (default: as far ahead as the window reaches back) — a member that improves fast
 *   is not replaced by one that plateaued high (FIRE-PBT's idea, short-horizon bias).
 */
export function fitnessOf(
  m: MemberView,
  cfg: FitnessConfig,
  history: PopulationHistory | undefined,
): number {
  const last = m.score ?? -Infinity;
  if (cfg.kind === 'last') return last;
  const h = history?.get(m.id);
  if (cfg.kind === 'ema') {
    const scores = currentScores(h);
    if (scores.length === 0) return last;
    const alpha = cfg.alpha ?? DEFAULT_EMA_ALPHA;
    return scores.slice(1).reduce((e, x) => alpha * x + (1 - alpha) * e, scores[0] ?? last);
  }
  const window = cfg.window ?? DEFAULT_FITNESS_WINDOW;
  if (cfg.kind === 'mean') {
    const scores = currentScores(h).slice(-window);
    return scores.length === 0 ? last : scores.reduce((a, b) => a + b, 0) / scores.length;
  }
  const points = currentPoints(h).slice(-window);
  const first = points[0];
  const end = points[points.length - 1];
  if (first === undefined || end === undefined) return last;
  if (points.length < 2) return end.score;
  const horizon = cfg.horizon ?? end.step - first.step;
  const { intercept, slope } = leastSquares(points);
  return intercept + slope * (end.step + horizon);
}

function leastSquares(points: readonly { step: number; score: number }[]): {
  intercept: number;
  slope: number;
} {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.step, 0) / n;
  const my = points.reduce((a, p) => a + p.score, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.step - mx) * (p.score - my);
    sxx += (p.step - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}
