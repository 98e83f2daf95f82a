import { describe, expect, it } from 'vitest';
import { nextScheduleChange, scheduledHparams } from './replay-schedule.js';

const schedule = [
  { fromStep: 0, hparams: { h0: 1 } },
  { fromStep: 8, hparams: { h0: 0.5 } },
  { fromStep: 20, hparams: { h0: 0.2 } },
];

describe('replay schedule', () => {
  it('applies each entry from its step on', () => {
    expect(scheduledHparams(schedule, 0)).toEqual({ h0: 1 });
    expect(scheduledHparams(schedule, 7)).toEqual({ h0: 1 });
    expect(scheduledHparams(schedule, 8)).toEqual({ h0: 0.5 });
    expect(scheduledHparams(schedule, 30)).toEqual({ h0: 0.2 });
  });

  it('ends a training segment where the hyperparameters change', () => {
    expect(nextScheduleChange(schedule, 0, 40)).toBe(8);
    expect(nextScheduleChange(schedule, 8, 40)).toBe(20);
    expect(nextScheduleChange(schedule, 20, 40)).toBe(40);
  });
});
