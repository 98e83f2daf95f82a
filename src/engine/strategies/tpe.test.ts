import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { sampleHparams } from '../core/space.js';
import type { SearchSpace } from '../core/space-types.js';
import { goodCount, normalCdf, proposeBatch, proposeTpe, type Observation } from './tpe.js';

const space: SearchSpace = {
  x: { type: 'uniform', min: 0, max: 1 },
  lr: { type: 'loguniform', min: 1e-5, max: 1 },
  n: { type: 'int', min: 1, max: 64, log: true },
  act: { type: 'categorical', values: ['relu', 'tanh', 'gelu'] },
  k: { type: 'fixed', value: 3 },
};

/** Best at x = 0.3, lr = 1e-3, act = tanh; n does not matter. */
function objective(h: Record<string, unknown>): number {
  const x = Number(h.x);
  const lr = Math.log10(Number(h.lr));
  return -((x - 0.3) ** 2) - 0.05 * (lr + 3) ** 2 - (h.act === 'tanh' ? 0 : 0.5);
}

function observations(n: number, seed: number): Observation[] {
  const rng = createRng(seed, 'obs');
  return Array.from({ length: n }, () => {
    const hparams = sampleHparams(space, rng);
    return { hparams, score: objective(hparams) };
  });
}

describe('TPE', () => {
  it('samples the prior until it has `startup` observations', () => {
    const obs = observations(3, 1);
    expect(proposeTpe(space, obs, createRng(7), { startup: 5 })).toEqual(
      sampleHparams(space, createRng(7)),
    );
  });

  it('is reproducible from its rng', () => {
    const obs = observations(30, 2);
    expect(proposeTpe(space, obs, createRng(9))).toEqual(proposeTpe(space, obs, createRng(9)));
  });

  it('proposes near the best region far more often than the prior does', () => {
    const obs = observations(100, 3);
    let tpeErr = 0;
    let randomErr = 0;
    let tanh = 0;
    for (let s = 0; s < 50; s++) {
      const h = proposeTpe(space, obs, createRng(s, 'tpe'));
      tpeErr += Math.abs(Number(h.x) - 0.3);
      randomErr += Math.abs(Number(sampleHparams(space, createRng(s, 'rnd')).x) - 0.3);
      if (h.act === 'tanh') tanh += 1;
    }
    expect(tpeErr / 50).toBeLessThan(0.6 * (randomErr / 50));
    expect(tanh).toBeGreaterThan(25);
  });

  it('keeps every proposal inside the space (bounds, integers, fixed values)', () => {
    const obs = observations(25, 4);
    for (let s = 0; s < 40; s++) {
      const h = proposeTpe(space, obs, createRng(s));
      expect(Number(h.x)).toBeGreaterThanOrEqual(0);
      expect(Number(h.x)).toBeLessThanOrEqual(1);
      expect(Number(h.lr)).toBeGreaterThanOrEqual(1e-5);
      expect(Number(h.lr)).toBeLessThanOrEqual(1);
      expect(Number.isInteger(h.n)).toBe(true);
      expect(Number(h.n)).toBeGreaterThanOrEqual(1);
      expect(Number(h.n)).toBeLessThanOrEqual(64);
      expect(h.k).toBe(3);
    }
  });

  it('a constant-liar batch spreads its proposals instead of repeating one', () => {
    const obs = observations(20, 5);
    const batch = proposeBatch(space, obs, 4, createRng(11), { startup: 5 });
    expect(batch).toHaveLength(4);
    expect(new Set(batch.map((h) => h.x)).size).toBe(4);
  });

  it('splits off the best ⌈n/10⌉ trials as good, between 1 and 25', () => {
    expect([1, 10, 11, 100, 1000].map(goodCount)).toEqual([1, 1, 2, 10, 25]);
  });

  it('normalCdf matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });
});
