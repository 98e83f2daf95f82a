import type { Schedule } from '../../src/engine/core/schedule.js';

/** A member's schedule as the experiments write it into summary.json. */
export function scheduleJson(s: Schedule): unknown {
  return {
    member: s.memberId,
    modelSteps: s.modelSteps,
    segments: s.segments.map((seg) => ({
      fromModelStep: seg.fromModelStep,
      toModelStep: seg.toModelStep,
      trainedBy: seg.memberId,
      hparams: seg.hparams,
    })),
    exploits: s.exploits.map((e) => ({
      atModelStep: e.modelStep,
      member: e.event.memberId,
      donor: e.event.donor,
      operations: e.event.operations,
    })),
  };
}

/** One hyperparameter along a schedule as step-function points (model step, value) to plot. */
export function hparamSteps(s: Schedule, name: string): [number, number][] {
  return s.segments.flatMap((seg) => [
    [seg.fromModelStep, Number(seg.hparams[name])],
    [seg.toModelStep, Number(seg.hparams[name])],
  ]);
}
