import { describe, expect, it } from 'vitest';
import { pickByValidation } from './pick.js';

describe('pickByValidation', () => {
  it('prefers the members that trained furthest, then the best score, and skips failed ones', () => {
    const members = [
      { id: 0, step: 30, score: 0.99, status: 'done' as const },
      { id: 1, step: 90, score: 0.7, status: 'done' as const },
      { id: 2, step: 90, score: 0.8, status: 'done' as const },
      { id: 3, step: 90, score: 0.95, status: 'failed' as const },
      { id: 4, step: 90, score: null, status: 'done' as const },
    ];
    expect(pickByValidation(members)?.id).toBe(2);
    expect(pickByValidation([])).toBeNull();
  });
});

describe('anytimeCurve', () => {
  it('best score so far against member-steps spent, results in recorded order', async () => {
    const { anytimeCurve } = await import('./run-comparison.js');
    const results = [
      { memberId: 0, step: 10, score: 0.1 },
      { memberId: 1, step: 10, score: 0.5 },
      { memberId: 0, step: 20, score: 0.3 },
      { memberId: 1, step: 20, score: 0.9 },
    ];
    // 40 steps in all: at 10 steps the first result, at 20 the best of two, ...
    expect(anytimeCurve(results, [0.1, 0.25, 0.5, 0.75, 1])).toEqual([null, 0.1, 0.5, 0.5, 0.9]);
  });
});
