import { describe, expect, it } from 'vitest';
import { createRng } from '../../../engine/core/rng.js';
import type { LunarLanderAction } from './constants.js';
import { evaluatePolicy } from './evaluate-policy.js';
import { heuristicAction } from './heuristic.js';

describe('LunarLander policies (statistics over 100 seeded episodes)', () => {
  it('the built-in heuristic solves it: mean return >= 200', () => {
    const ev = evaluatePolicy(heuristicAction, { episodes: 100 });
    expect(ev.episodes).toBe(100);
    expect(ev.mean).toBeGreaterThanOrEqual(200);
    expect(ev.outcomes['at-rest'] ?? 0).toBeGreaterThanOrEqual(85);
  });

  it('a uniformly random policy scores between -250 and -120, mostly by crashing', () => {
    const rng = createRng('random-policy');
    const ev = evaluatePolicy(() => rng.int(4) as LunarLanderAction, { episodes: 100 });
    expect(ev.mean).toBeGreaterThan(-250);
    expect(ev.mean).toBeLessThan(-120);
    // Random firing keeps the hull awake, so it never ends at rest; a rare episode sits on
    // its legs until the time limit.
    expect(ev.outcomes['at-rest'] ?? 0).toBe(0);
    expect((ev.outcomes.crashed ?? 0) + (ev.outcomes['out-of-bounds'] ?? 0)).toBeGreaterThanOrEqual(
      95,
    );
  });
});
