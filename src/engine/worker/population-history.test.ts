import { describe, expect, it } from 'vitest';
import type { LineageEvent, ResultRecord } from '../store/store.js';
import { populationHistory } from './population-history.js';

let nextId = 1;
function result(memberId: number, step: number, score: number | null): ResultRecord {
  const id = nextId++;
  return {
    id,
    experimentId: 'e',
    memberId,
    step,
    score,
    metrics: score === null ? null : { score },
    error: score === null ? 'failed' : null,
    hparams: { lr: memberId },
    checkpoint: null,
    time: id,
    trainSeconds: 0,
  };
}

function exploit(memberId: number, step: number): LineageEvent {
  return {
    id: nextId++,
    experimentId: 'e',
    memberId,
    step,
    donor: 9,
    donorStep: step,
    donorCheckpoint: 'c',
    oldHparams: {},
    newHparams: {},
    operations: [],
    time: 0,
  };
}

describe('populationHistory', () => {
  it('groups scored results by member in step order, with each member’s exploit steps', () => {
    const results = [
      result(1, 10, 0.5),
      result(0, 10, 0.1),
      result(0, 20, null),
      result(0, 30, 0.3),
    ];
    const h = populationHistory(results, [exploit(0, 10)]);
    expect(h.get(0)).toEqual({
      points: [
        { step: 10, score: 0.1, hparams: { lr: 0 } },
        { step: 30, score: 0.3, hparams: { lr: 0 } },
      ],
      exploitSteps: [10],
    });
    expect(h.get(1)?.points.map((p) => p.step)).toEqual([10]);
  });

  it('keeps only the most recent `limit` scored results of the experiment', () => {
    const results = [result(0, 1, 1), result(1, 1, 2), result(0, 2, 3), result(1, 2, 4)];
    const h = populationHistory(results, [], 2);
    expect(h.get(0)?.points.map((p) => p.score)).toEqual([3]);
    expect(h.get(1)?.points.map((p) => p.score)).toEqual([4]);
  });
});
