import { describe, expect, it } from 'vitest';
import type { LineageEvent, ResultRecord } from '../store/store.js';
import { bestMember, memberTimeline, scheduleOf } from './schedule.js';
import type { Hparams, MemberView } from './types.js';

let nextResultId = 1;
function result(
  memberId: number,
  step: number,
  score: number | null,
  hparams: Hparams,
): ResultRecord {
  const id = nextResultId++;
  return {
    id,
    experimentId: 'e',
    memberId,
    step,
    score,
    metrics: score === null ? null : { score },
    error: score === null ? 'boom' : null,
    hparams,
    checkpoint: score === null ? null : `ck-${memberId}-${step}`,
    time: 1000 + id,
    trainSeconds: 1,
  };
}

function exploit(
  id: number,
  memberId: number,
  step: number,
  donor: number,
  donorStep: number,
  oldHparams: Hparams,
  newHparams: Hparams,
): LineageEvent {
  return {
    id,
    experimentId: 'e',
    memberId,
    step,
    donor,
    donorStep,
    donorCheckpoint: `ck-${donor}-${donorStep}`,
    oldHparams,
    newHparams,
    operations: ['lr*1.2'],
    time: 5000 + id,
  };
}

/*
 * Three members, ready every 100 steps, 400 steps each.
 *   m0 lr 0.1 throughout, never exploits.
 *   m1 lr 0.01; at its step 200 copies m0@200 (lr -> 0.12).
 *   m2 lr 1; at its step 100 copies m0@200 (async: the donor is ahead; lr -> 0.08);
 *      at its step 300 copies m1@300 (lr -> 0.144), after m1's own exploit: a chain m0 -> m1 -> m2.
 */
const results: ResultRecord[] = [
  result(0, 100, 0.5, { lr: 0.1 }),
  result(0, 200, 0.6, { lr: 0.1 }),
  result(0, 300, 0.7, { lr: 0.1 }),
  result(0, 400, 0.8, { lr: 0.1 }),
  result(1, 100, 0.2, { lr: 0.01 }),
  result(1, 200, 0.3, { lr: 0.01 }),
  result(1, 300, 0.65, { lr: 0.12 }),
  result(1, 400, 0.7, { lr: 0.12 }),
  result(2, 100, 0.1, { lr: 1 }),
  result(2, 200, 0.55, { lr: 0.08 }),
  result(2, 300, 0.6, { lr: 0.08 }),
  result(2, 400, 0.85, { lr: 0.144 }),
];
const lineage: LineageEvent[] = [
  exploit(1, 2, 100, 0, 200, { lr: 1 }, { lr: 0.08 }),
  exploit(2, 1, 200, 0, 200, { lr: 0.01 }, { lr: 0.12 }),
  exploit(3, 2, 300, 1, 300, { lr: 0.08 }, { lr: 0.144 }),
];

describe('memberTimeline', () => {
  it('lists a member’s ready points in step order', () => {
    const shuffled = [...results].reverse();
    expect(memberTimeline(1, shuffled)).toEqual([
      { step: 100, score: 0.2, hparams: { lr: 0.01 }, failed: false },
      { step: 200, score: 0.3, hparams: { lr: 0.01 }, failed: false },
      { step: 300, score: 0.65, hparams: { lr: 0.12 }, failed: false },
      { step: 400, score: 0.7, hparams: { lr: 0.12 }, failed: false },
    ]);
    expect(memberTimeline(9, results)).toEqual([]);
  });
});

describe('scheduleOf', () => {
  it('a member that never exploited: one merged segment on its own clock', () => {
    const s = scheduleOf(0, results, lineage);
    expect(s.atStep).toBe(400);
    expect(s.modelSteps).toBe(400);
    expect(s.segments).toEqual([
      {
        fromModelStep: 0,
        toModelStep: 400,
        memberId: 0,
        fromMemberStep: 0,
        toMemberStep: 400,
        hparams: { lr: 0.1 },
      },
    ]);
    expect(s.exploits).toEqual([]);
  });

  it('follows a chain of exploits back through the donors', () => {
    const s = scheduleOf(2, results, lineage);
    expect(s.modelSteps).toBe(400);
    expect(s.segments).toEqual([
      {
        fromModelStep: 0,
        toModelStep: 200,
        memberId: 0,
        fromMemberStep: 0,
        toMemberStep: 200,
        hparams: { lr: 0.1 },
      },
      {
        fromModelStep: 200,
        toModelStep: 300,
        memberId: 1,
        fromMemberStep: 200,
        toMemberStep: 300,
        hparams: { lr: 0.12 },
      },
      {
        fromModelStep: 300,
        toModelStep: 400,
        memberId: 2,
        fromMemberStep: 300,
        toMemberStep: 400,
        hparams: { lr: 0.144 },
      },
    ]);
    // m2's first exploit (of m0 at step 100) was overwritten by the second: not on the path.
    expect(s.exploits.map((e) => [e.event.id, e.modelStep])).toEqual([
      [2, 200],
      [3, 300],
    ]);
    // m2's own early history (lr 1, lr 0.08) does not appear either.
    expect(s.segments.some((seg) => seg.hparams.lr === 1 || seg.hparams.lr === 0.08)).toBe(false);
  });

  it('maps member steps to model steps when the donor was ahead (async)', () => {
    // m2 at its step 300: its weights came from m0@200 at m2's step 100, then trained 200 more.
    const s = scheduleOf(2, results, lineage, { atStep: 300 });
    expect(s.modelSteps).toBe(400);
    expect(s.segments).toEqual([
      {
        fromModelStep: 0,
        toModelStep: 200,
        memberId: 0,
        fromMemberStep: 0,
        toMemberStep: 200,
        hparams: { lr: 0.1 },
      },
      {
        fromModelStep: 200,
        toModelStep: 400,
        memberId: 2,
        fromMemberStep: 100,
        toMemberStep: 300,
        hparams: { lr: 0.08 },
      },
    ]);
    expect(s.exploits.map((e) => [e.event.id, e.modelStep])).toEqual([[1, 200]]);
  });

  it('an exploit at exactly atStep is not applied: the schedule explains the evaluated model', () => {
    const s = scheduleOf(1, results, lineage, { atStep: 200 });
    expect(
      s.segments.map((seg) => [seg.memberId, seg.fromModelStep, seg.toModelStep, seg.hparams.lr]),
    ).toEqual([[1, 0, 200, 0.01]]);
    expect(s.exploits).toEqual([]);
  });

  it('copying a donor at the step it had just exploited takes the donor’s new weights', () => {
    // m3 copies m1@200 after m1's exploit (id 2) at that step: the weights are m0's.
    const extra = [
      ...results,
      result(3, 100, 0.1, { lr: 5 }),
      result(3, 200, 0.1, { lr: 5 }),
      result(3, 300, 0.9, { lr: 0.1 }),
    ];
    const events = [...lineage, exploit(4, 3, 200, 1, 200, { lr: 5 }, { lr: 0.1 })];
    const s = scheduleOf(3, extra, events);
    expect(
      s.segments.map((seg) => [seg.memberId, seg.fromModelStep, seg.toModelStep, seg.hparams.lr]),
    ).toEqual([
      [0, 0, 200, 0.1],
      [3, 200, 300, 0.1],
    ]);
    expect(s.exploits.map((e) => e.event.id)).toEqual([2, 4]);
    // Had m3 copied m1@200 before m1's exploit (smaller id), it gets m1's own weights.
    const before = [exploit(0, 3, 200, 1, 200, { lr: 5 }, { lr: 0.1 }), ...lineage];
    const s2 = scheduleOf(3, extra, before);
    expect(
      s2.segments.map((seg) => [seg.memberId, seg.fromModelStep, seg.toModelStep, seg.hparams.lr]),
    ).toEqual([
      [1, 0, 200, 0.01],
      [3, 200, 300, 0.1],
    ]);
  });

  it('a failed segment without a checkpoint adds member steps but no model steps', () => {
    const rs = [
      result(5, 100, 0.3, { lr: 1 }),
      result(5, 200, null, { lr: 1 }),
      result(5, 300, 0.4, { lr: 1 }),
    ];
    const s = scheduleOf(5, rs, []);
    expect(s.atStep).toBe(300);
    expect(s.modelSteps).toBe(200);
    expect(
      s.segments.map((seg) => [
        seg.fromModelStep,
        seg.toModelStep,
        seg.fromMemberStep,
        seg.toMemberStep,
      ]),
    ).toEqual([
      [0, 100, 0, 100],
      [100, 200, 200, 300],
    ]);
  });

  it('segments are contiguous on the model clock and survive inconsistent (cyclic) lineage', () => {
    const cyclic = [
      exploit(10, 0, 200, 1, 200, {}, { lr: 0.1 }),
      exploit(11, 1, 200, 0, 200, {}, { lr: 0.01 }),
    ];
    const s = scheduleOf(1, results, cyclic);
    for (let i = 1; i < s.segments.length; i++) {
      expect(s.segments[i]?.fromModelStep).toBe(s.segments[i - 1]?.toModelStep);
    }
    expect(s.segments.at(-1)?.toModelStep).toBe(s.modelSteps);
  });

  it('an unknown member has an empty schedule', () => {
    expect(scheduleOf(42, results, lineage)).toEqual({
      memberId: 42,
      atStep: 0,
      modelSteps: 0,
      segments: [],
      exploits: [],
    });
  });
});

describe('bestMember', () => {
  it('picks the highest last score from results, skipping failed results', () => {
    expect(bestMember(results)).toEqual({ memberId: 2, score: 0.85, step: 400 });
    const withFailure = [...results, result(2, 500, null, { lr: 0.144 }), result(3, 100, 0.99, {})];
    expect(bestMember(withFailure)).toEqual({ memberId: 3, score: 0.99, step: 100 });
  });

  it('uses the last score, not the best ever', () => {
    const rs = [result(0, 100, 0.9, {}), result(0, 200, 0.1, {}), result(1, 100, 0.5, {})];
    expect(bestMember(rs)?.memberId).toBe(1);
  });

  it('from member views: ignores failed members and breaks ties by lower id', () => {
    const view = (id: number, score: number | null, status: MemberView['status']): MemberView => ({
      id,
      step: 100,
      score,
      lastFailed: false,
      hparams: {},
      checkpoint: null,
      status,
    });
    expect(
      bestMember([
        view(0, 0.5, 'done'),
        view(1, 0.9, 'failed'),
        view(2, 0.7, 'done'),
        view(3, 0.7, 'running'),
      ]),
    ).toEqual({
      memberId: 2,
      score: 0.7,
      step: 100,
    });
    expect(bestMember([view(0, null, 'pending')])).toBeNull();
    expect(bestMember([])).toBeNull();
    expect(bestMember([view(0, Number.NaN, 'done'), view(1, -3, 'done')])?.memberId).toBe(1);
  });
});
