import { ConfigError } from '../core/errors.js';
import type { ReadyConfig } from './config-types.js';

/**
 * Ready criterion helpers. Ready points happen at multiples of `every` steps (kind 'steps') or
 * after `every` seconds of training (kind 'seconds'). Burn-in is counted in steps for both
 * kinds: results are recorded at every ready point, but a member does not exploit before it has
 * trained `burnIn` steps of its own.
 */

/** Check a ready config; throws ConfigError listing every problem. */
export function validateReadyConfig(ready: ReadyConfig): void {
  const issues: string[] = [];
  const { kind, every, burnIn } = ready;
  if (!(Number.isFinite(every) && every > 0)) {
    issues.push(`every: ${every} must be a positive number of ${kind}`);
  } else if (kind === 'steps' && !Number.isInteger(every)) {
    issues.push(`every: ${every} must be a whole number of steps`);
  }
  if (burnIn !== undefined && !(Number.isInteger(burnIn) && burnIn >= 0)) {
    issues.push(`burnIn: ${burnIn} must be a whole number of steps >= 0`);
  }
  if (issues.length > 0) throw new ConfigError('invalid ready config:', issues);
}

/**
 * How many steps to train from `step` before the next evaluation: up to the next multiple of
 * `every` (kind 'steps', so members that resumed mid-segment realign) or `chunkSteps` (kind
 * 'seconds': train in chunks and ask `secondsReady` after each), never past `budget`.
 * Returns 0 once the budget is spent.
 */
export function segmentSteps(
  ready: ReadyConfig,
  step: number,
  budget: number,
  chunkSteps = 1,
): number {
  validateReadyConfig(ready);
  if (!Number.isInteger(chunkSteps) || chunkSteps < 1) {
    throw new ConfigError(`chunkSteps: ${chunkSteps} must be a positive integer`);
  }
  const left = Math.max(0, budget - step);
  if (ready.kind === 'seconds') return Math.min(chunkSteps, left);
  const next = (Math.floor(step / ready.every) + 1) * ready.every;
  return Math.min(next - step, left);
}

/**
 * For kind 'seconds': true once `every` seconds passed since the segment started (times in ms,
 * from an injected clock). Always false for kind 'steps', whose ready points are step counts.
 */
export function secondsReady(ready: ReadyConfig, segmentStartMs: number, nowMs: number): boolean {
  return ready.kind === 'seconds' && nowMs - segmentStartMs >= ready.every * 1000;
}

/** True while a member at `step` is still in burn-in (no exploit yet). */
export function inBurnIn(ready: ReadyConfig | undefined, step: number): boolean {
  return step < (ready?.burnIn ?? 0);
}
