import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { MemberHistory, MemberView, PopulationHistory } from '../core/types.js';
import { decide } from './decide.js';
import { pb2Explore, pb2Observations, pendingMembers } from './pb2.js';

const space: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 1 },
  layers: { type: 'int', min: 1, max: 8 },
  act: { type: 'categorical', values: ['relu', 'tanh', 'gelu'] },
  seed: { type: 'fixed', value: 3 },
};

function member(id: number, step: number, over: Partial<MemberView> = {}): MemberView {
  return {
    id,
    step,
    score: 0,
    lastFailed: false,
    hparams: { lr: 0.01, layers: 2, act: 'relu', seed: 3 },
    checkpoint: `ckpt-${id}`,
    status: 'running',
    ...over,
  };
}

/**
 * Members whose score improves fastest at lr = 1e-2 (log-scale bump), whatever the layers:
 * each member has its own lr and 6 ready intervals of 100 steps.
 */
function history(lrs: readonly number[]): PopulationHistory {
  const gain = (lr: number): number => Math.exp(-((Math.log10(lr) + 2) ** 2));
  return new Map(
    lrs.map((lr, id): [number, MemberHistory] => {
      let score = 0;
      const points = [];
      for (let i = 1; i <= 6; i++) {
        score += gain(lr);
        points.push({
          step: 100 * i,
          score,
          hparams: { lr, layers: 1 + id, act: 'relu', seed: 3 },
        });
      }
      return [id, { points, exploitSteps: [] }];
    }),
  );
}

const lrs = [1e-4, 1e-3, 3e-3, 3e-2, 1e-1, 1];
const population = lrs.map((lr, id) =>
  member(id, 600, { hparams: { lr, layers: 1, act: 'relu', seed: 3 } }),
);

describe('pb2Observations', () => {
  it('turns consecutive evaluations into improvements, skipping intervals with an exploit', () => {
    const h: PopulationHistory = new Map([
      [
        0,
        {
          points: [100, 200, 300, 400].map((step, i) => ({
            step,
            score: i * i,
            hparams: { lr: 0.1 },
          })),
          exploitSteps: [200],
        },
      ],
    ]);
    expect(pb2Observations(h, 100).map((o) => [o.step, o.improvement])).toEqual([
      [200, 1],
      [400, 5],
    ]);
    expect(pb2Observations(h, 1).map((o) => o.step)).toEqual([400]);
  });
});

describe('pb2Explore', () => {
  it('picks values inside bounds: ints integer, categorical from its values, fixed kept', () => {
    for (let s = 0; s < 30; s++) {
      const r = pb2Explore(population[5]!.hparams, space, { kind: 'pb2' }, createRng('pb2', s), {
        self: member(0, 600),
        population,
        history: history(lrs),
      });
      const { lr, layers, act, seed } = r.hparams;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1);
      expect(Number.isInteger(layers)).toBe(true);
      expect(layers).toBeGreaterThanOrEqual(1);
      expect(layers).toBeLessThanOrEqual(8);
      expect(['relu', 'tanh', 'gelu']).toContain(act);
      expect(seed).toBe(3);
      expect(r.operations.some((o) => o.includes('(pb2 ucb)'))).toBe(true);
    }
  });

  it('with kappa 0 goes where the improvement was largest (lr near 1e-2)', () => {
    const picks = [0, 1, 2, 3, 4].map(
      (s) =>
        pb2Explore(
          population[5]!.hparams,
          space,
          { kind: 'pb2', pb2: { kappa: 0 } },
          createRng('k0', s),
          {
            self: member(0, 600),
            population,
            history: history(lrs),
          },
        ).hparams.lr as number,
    );
    for (const lr of picks) expect(Math.abs(Math.log10(lr) + 2)).toBeLessThan(0.75);
  });

  it('accepts the perturb settings of the same config (noise on numeric params)', () => {
    const cfg = { kind: 'pb2' as const, noise: { sigma: 0.1, params: ['lr'] } };
    const r = pb2Explore(population[5]!.hparams, space, cfg, createRng('n', 0), {
      self: member(0, 600),
      population,
      history: history(lrs),
    });
    expect(r.operations.some((o) => o.startsWith('lr ') && o.endsWith('(pb2 ucb)'))).toBe(true);
  });

  it('falls back to perturb with too few observed intervals', () => {
    const r = pb2Explore(population[0]!.hparams, space, { kind: 'pb2' }, createRng('f', 0), {
      self: member(0, 100),
      population,
      history: undefined,
    });
    expect(r.operations[0]).toMatch(/^pb2: 0 observed intervals/);
  });

  it('counts members exploited but not evaluated since as pending', () => {
    const h = new Map(history(lrs));
    const m1 = h.get(1)!;
    h.set(1, { ...m1, exploitSteps: [600] });
    expect(
      pendingMembers({ self: member(0, 600), population, history: h }).map((m) => m.id),
    ).toEqual([1]);
  });

  it('is what decide uses for explore kind pb2', () => {
    const d = decide(
      member(0, 600, { score: -1 }),
      population.map((m) => (m.id === 0 ? { ...m, score: -1 } : { ...m, score: m.id })),
      { exploit: { kind: 'truncation' }, explore: { kind: 'pb2' } },
      space,
      createRng('d', 0),
      history(lrs),
    );
    expect(d.kind).toBe('exploit');
    if (d.kind === 'exploit') expect(d.operations.join(' ')).toMatch(/pb2 ucb/);
  });
});
