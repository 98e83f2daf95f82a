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
