import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { validateHparams } from '../core/space.js';
import type { SearchSpace } from '../core/space-types.js';
import { gridSize, initialPopulation } from './initial-population.js';

const space: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
  opt: { type: 'categorical', values: ['sgd', 'adam'] },
  batch: { type: 'fixed', value: 32 },
};

describe('initialPopulation', () => {
  it("'random' samples size valid, distinct members, reproducibly", () => {
    const a = initialPopulation(space, 10, 'random', createRng(1));
    expect(a).toHaveLength(10);
    for (const h of a) expect(() => validateHparams(space, h)).not.toThrow();
    expect(new Set(a.map((h) => h.lr)).size).toBe(10);
    expect(initialPopulation(space, 10, 'random', createRng(1))).toEqual(a);
    expect(initialPopulation(space, 10, 'random', createRng(2))).not.toEqual(a);
  });

  it("'grid' gives gridSize members, which may be fewer than asked for", () => {
    // 2 optimizers x 5 learning rates = 10 <= 11 (k = 6 would need 12).
    expect(gridSize(space, 11)).toBe(10);
    const g = initialPopulation(space, 11, 'grid', createRng(1));
    expect(g).toHaveLength(10);
    expect(new Set(g.map((h) => `${h.lr}/${h.opt}`)).size).toBe(10);
    expect(g.every((h) => h.batch === 32)).toBe(true);
    expect(gridSize(space, 1)).toBe(1);
    expect(initialPopulation(space, 1, 'grid', createRng(1))).toHaveLength(1);
  });

  it("'fixed' copies the given hparams, filling in fixed params", () => {
    const f = initialPopulation(space, 3, 'fixed', createRng(1), { lr: 0.01, opt: 'adam' });
    expect(f).toEqual(Array.from({ length: 3 }, () => ({ lr: 0.01, opt: 'adam', batch: 32 })));
    expect(() => initialPopulation(space, 3, 'fixed', createRng(1))).toThrow(
      /needs hyperparameters/,
    );
    expect(() =>
      initialPopulation(space, 3, 'fixed', createRng(1), { lr: 1, opt: 'adam' }),
    ).toThrow(/lr: 1 is outside/);
  });

  it('rejects a bad size or space', () => {
    expect(() => initialPopulation(space, 0, 'random', createRng(1))).toThrow(ConfigError);
    expect(() => initialPopulation(space, 2.5, 'grid', createRng(1))).toThrow(/positive integer/);
    expect(() => initialPopulation({}, 2, 'random', createRng(1))).toThrow(/empty/);
  });
});
