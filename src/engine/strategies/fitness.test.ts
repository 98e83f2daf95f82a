import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { MemberHistory, MemberView, PopulationHistory } from '../core/types.js';
import { needsHistory } from './decide.js';
import { selectDonor } from './exploit.js';
import { fitnessOf, validateFitnessConfig } from './fitness.js';

function member(id: number, score: number): MemberView {
  return {
    id,
    step: 500,
    score,
    lastFailed: false,
    hparams: { lr: 0.01 },
    checkpoint: `ckpt-${id}`,
    status: 'running',
  };
}

/** Scores at steps 100, 200, …; exploits at the given steps. */
function hist(scores: readonly number[], exploitSteps: readonly number[] = []): MemberHistory {
  return {
    points: scores.map((score, i) => ({ step: 100 * (i + 1), score, hparams: { lr: 0.01 } })),
    exploitSteps,
  };
}

describe('fitnessOf', () => {
  const m = member(0, 4);
  const history: PopulationHistory = new Map([[0, hist([9, 1, 2, 3, 4])]]);

  it('last: the last score, history or not', () => {
    expect(fitnessOf(m, { kind: 'last' }, history)).toBe(4);
  });

  it('mean: the mean of the last window evaluations', () => {
    expect(fitnessOf(m, { kind: 'mean', window: 3 }, history)).toBe(3);
    expect(fitnessOf(m, { kind: 'mean', window: 5 }, history)).toBe(19 / 5);
  });

  it('ema: oldest first, alpha on the newest', () => {
    // e = 9 → 0.5·1 + 4.5 = 5 → 3.5 → 3.25 → 3.625
    expect(fitnessOf(m, { kind: 'ema', alpha: 0.5 }, history)).toBeCloseTo(3.625, 12);
  });

  it('trend: the least-squares line read horizon steps past the last evaluation', () => {
    // Last 4 points (100-step slope 1, ending at 4 at step 500): 300 steps ahead → 7.
    expect(fitnessOf(m, { kind: 'trend', window: 4, horizon: 300 }, history)).toBeCloseTo(7, 10);
    // Default horizon = the window's span (300 steps here).
    expect(fitnessOf(m, { kind: 'trend', window: 4 }, history)).toBeCloseTo(7, 10);
  });

  it('only counts evaluations since the last exploit; none yet → the last score', () => {
    const after = new Map([[0, hist([9, 1, 2, 3, 4], [300])]]);
    expect(fitnessOf(m, { kind: 'mean', window: 5 }, after)).toBe(3.5);
    const fresh = new Map([[0, hist([9, 1, 2, 3, 4], [500])]]);
    expect(fitnessOf(member(0, 4), { kind: 'mean', window: 5 }, fresh)).toBe(4);
    expect(fitnessOf(m, { kind: 'ema' }, undefined)).toBe(4);
  });

  it('rejects bad settings with the reason', () => {
    expect(() => validateFitnessConfig({ kind: 'ema', alpha: 0 })).toThrow(ConfigError);
    expect(() => validateFitnessConfig({ kind: 'mean', window: 0 })).toThrow(/window/);
  });
});

describe('selection with fitness and t-test', () => {
  it('trend keeps a fast improver that last-score truncation would replace', () => {
    // Member 0 plateaued high at 5; member 1 climbs fast from 1 to 4.
    const population = [member(0, 5), member(1, 4)];
    const history: PopulationHistory = new Map([
      [0, hist([5, 5, 5, 5])],
      [1, hist([1, 2, 3, 4])],
    ]);
    const rng = createRng('t', 1);
    const byLast = selectDonor(population[1]!, population, { kind: 'truncation' }, rng);
    expect(byLast?.id).toBe(0);
    const ranking = { fitness: { kind: 'trend' as const, window: 4 }, history };
    expect(
      selectDonor(population[1]!, population, { kind: 'truncation' }, rng, ranking),
    ).toBeNull();
    expect(selectDonor(population[0]!, population, { kind: 'truncation' }, rng, ranking)?.id).toBe(
      1,
    );
  });

  it('t-test copies only a significantly better member', () => {
    const population = [member(0, 6), member(1, 5)];
    const cfg = { kind: 'ttest' as const, window: 4 };
    const noisy: PopulationHistory = new Map([
      [0, hist([4, 6, 5, 6])], // mean 5.25
      [1, hist([5, 4, 6, 5])], // mean 5: not significant
    ]);
    const clear: PopulationHistory = new Map([
      [0, hist([8, 9, 8, 9])],
      [1, hist([5, 4, 6, 5])],
    ]);
    for (let s = 0; s < 20; s++) {
      const rng = createRng('tt', s);
      expect(selectDonor(population[1]!, population, cfg, rng, { history: noisy })).toBeNull();
      expect(
        selectDonor(population[1]!, population, cfg, createRng('tt', s), { history: clear })?.id,
      ).toBe(0);
      expect(
        selectDonor(population[0]!, population, cfg, createRng('tt', s), { history: clear }),
      ).toBeNull();
    }
    // Fewer than 2 evaluations since the last exploit: no evidence, no copy.
    const thin: PopulationHistory = new Map([
      [0, hist([8, 9, 8, 9])],
      [1, hist([5, 4, 6, 5], [300])],
    ]);
    expect(
      selectDonor(population[1]!, population, cfg, createRng('tt', 0), { history: thin }),
    ).toBeNull();
  });
});

describe('needsHistory', () => {
  it('is true only for rules that read past evaluations, and never for baselines', () => {
    const base = { exploit: { kind: 'truncation' as const }, explore: {} };
    expect(needsHistory(base)).toBe(false);
    expect(needsHistory({ ...base, fitness: { kind: 'last' } })).toBe(false);
    expect(needsHistory({ ...base, fitness: { kind: 'mean' } })).toBe(true);
    expect(needsHistory({ ...base, exploit: { kind: 'ttest' } })).toBe(true);
    expect(needsHistory({ ...base, explore: { kind: 'pb2' } })).toBe(true);
    expect(needsHistory({ exploit: { kind: 'none' }, explore: { kind: 'pb2' } })).toBe(false);
  });
});
