import type { Hparams } from '../core/types.js';

export interface ScheduleEntry {
  readonly fromStep: number;
  readonly hparams: Hparams;
}

/** The hyperparameters in force at `step`: the last entry starting at or before it. */
export function scheduledHparams(schedule: readonly ScheduleEntry[], step: number): Hparams {
  let current = schedule[0]?.hparams ?? {};
  for (const e of schedule) if (e.fromStep <= step) current = e.hparams;
  return current;
}

/** The next step at which the hyperparameters change (a segment must end there), or `budget`. */
export function nextScheduleChange(
  schedule: readonly ScheduleEntry[],
  step: number,
  budget: number,
): number {
  return Math.min(budget, ...schedule.filter((e) => e.fromStep > step).map((e) => e.fromStep));
}
