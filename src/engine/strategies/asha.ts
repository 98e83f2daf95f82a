import { ConfigError } from '../core/errors.js';
import type { MemberId, MemberView } from '../core/types.js';

/**
 * Asynchronous successive halving (ASHA, Li et al., MLSys 2020) as rules over the population
 * store. Every member is one configuration; it trains to the rungs r₀ < r₁ < … < R (rᵢ = r₀·ηⁱ,
 * the last one the full budget R) and at each rung the worker holding it asks `ashaVerdict`
 * whether it is promoted to the next rung, retired, or must wait for more results.
 *
 * The promotion rule is ASHA's — a configuration moves up when it is in the top ⌊n/η⌋ of the n
 * configurations that finished its rung so far — with one difference: the promotions a rung
 * hands out are capped at ⌊n/η⌋ in total, so a configuration promoted early keeps its slot
 * even if later ones beat it. That makes the compute exact and known in advance (`ashaCost`),
 * which an equal-budget comparison needs; Li et al. may promote a few more.
 */

export interface AshaSettings {
  /** Reduction factor η ≥ 2. */
  readonly eta: number;
  /** The rung steps, ascending; the last is the full per-member budget. */
  readonly rungs: readonly number[];
}

/** Rungs from the minimum resource to the maximum: r₀·ηⁱ (rounded) while ≤ R/η, then R. */
export function ashaRungs(minSteps: number, maxSteps: number, eta: number): number[] {
  if (!Number.isInteger(eta) || eta < 2) {
    throw new ConfigError(`asha.eta: ${eta} must be a whole number >= 2`);
  }
  if (!Number.isInteger(minSteps) || minSteps < 1 || minSteps > maxSteps) {
    throw new ConfigError(
      `asha.minSteps: ${minSteps} must be a whole number between 1 and the budget (${maxSteps} steps)`,
    );
  }
  const rungs: number[] = [];
  // A rung needs a next rung η times further; the budget itself is always the last.
  for (let r = minSteps; Math.round(r) * eta <= maxSteps; r *= eta) rungs.push(Math.round(r));
  rungs.push(maxSteps);
  return rungs;
}

/**
 * Default minimum resource R/η^K with the most rungs K (at most 4, r₀ ≥ 1 step) such that one
 * full bracket — η^K configurations at r₀ down to one trained to R, costing (K+1)·R — fits in
 * the total budget: so at least one configuration is trained to the full budget.
 */
export function defaultMinSteps(maxSteps: number, eta: number, totalBudget: number): number {
  let k = 0;
  while (k < 4 && (k + 2) * maxSteps <= totalBudget && maxSteps / eta ** (k + 1) >= 1) k += 1;
  return Math.max(1, Math.floor(maxSteps / eta ** k));
}

/** Members that reach each rung when every rung promotes exactly ⌊n/η⌋. */
export function ashaRungSizes(configs: number, settings: AshaSettings): number[] {
  const sizes: number[] = [];
  let n = configs;
  for (let i = 0; i < settings.rungs.length; i++) {
    sizes.push(n);
    n = Math.floor(n / settings.eta);
  }
  return sizes;
}

/** Total training steps of `configs` configurations under the capped rule (exact). */
export function ashaCost(configs: number, settings: AshaSettings): number {
  const sizes = ashaRungSizes(configs, settings);
  let cost = 0;
  settings.rungs.forEach((r, i) => {
    cost += (sizes[i] ?? 0) * (r - (settings.rungs[i - 1] ?? 0));
  });
  return cost;
}

/** The most configurations whose exact cost fits in `budget` steps (at least one). */
export function ashaConfigs(budget: number, settings: AshaSettings): number {
  let n = 1;
  while (ashaCost(n + 1, settings) <= budget) n += 1;
  return n;
}

/** The step a member at `step` trains to next: the first rung above it. */
export function nextRung(step: number, rungs: readonly number[]): number {
  const next = rungs.find((r) => r > step);
  if (next === undefined) throw new Error(`no rung above step ${step}`);
  return next;
}

export type AshaVerdict =
  | { readonly kind: 'promote' }
  | { readonly kind: 'retire'; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string };

/** Score of each member at each step, from the (append-only) results. */
export type RungScores = ReadonlyMap<MemberId, ReadonlyMap<number, number>>;

const active = (m: MemberView): boolean => m.status !== 'done' && m.status !== 'failed';

/**
 * What the member `self`, waiting at a rung (its last result recorded there, decision due),
 * does now. `population` must carry `decisionDue` (store snapshots do): a member at the rung
 * with its decision applied was promoted; one with a decision due is still a candidate.
 * Pure; the store's decision transaction makes concurrent verdicts see each other.
 */
export function ashaVerdict(
  self: MemberView,
  population: readonly MemberView[],
  scores: RungScores,
  settings: AshaSettings,
): AshaVerdict {
  const k = settings.rungs.indexOf(self.step);
  const r = settings.rungs[k];
  if (r === undefined || k === settings.rungs.length - 1) return { kind: 'promote' };
  const completed: { id: MemberId; score: number; waiting: boolean }[] = [];
  let promoted = 0;
  for (const m of population) {
    if (m.step < r) continue;
    const atRung =
      m.id === self.id
        ? (self.score ?? undefined)
        : (scores.get(m.id)?.get(r) ??
          (m.step === r && !m.lastFailed && m.score !== null ? m.score : undefined));
    if (atRung === undefined) {
      if (m.step > r) return { kind: 'wait', reason: `member ${m.id}'s rung result not read yet` };
      continue; // failed at this rung: not a candidate
    }
    const waiting = m.id === self.id || (m.step === r && active(m) && m.decisionDue === true);
    if (!waiting && (m.step > r || active(m))) promoted += 1;
    completed.push({ id: m.id, score: atRung, waiting });
  }
  const slots = Math.floor(completed.length / settings.eta) - promoted;
  const ranked = completed
    .filter((c) => c.waiting)
    .sort((a, b) => b.score - a.score || a.id - b.id);
  const rank = ranked.findIndex((c) => c.id === self.id);
  if (rank < slots) return { kind: 'promote' };
  const arriving = population.some((m) => active(m) && m.step < r);
  if (arriving) {
    return {
      kind: 'wait',
      reason: `rank ${rank + 1} of ${ranked.length} waiting at rung ${r}, ${Math.max(slots, 0)} slot(s) open; more members still training towards it`,
    };
  }
  return {
    kind: 'retire',
    reason: `not in the top ⌊${completed.length}/${settings.eta}⌋ at rung ${r} (rank ${rank + 1} of ${ranked.length} waiting, ${promoted} already promoted)`,
  };
}
