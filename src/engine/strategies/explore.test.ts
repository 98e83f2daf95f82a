import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng, type Rng } from '../core/rng.js';
import { sampleHparams, validateHparams } from '../core/space.js';
import type { ParamSpec, SearchSpace } from '../core/space-types.js';
import type { HparamValue, Hparams } from '../core/types.js';
import { explore, validateExploreConfig, type CustomExplore } from './explore.js';

/** An Rng that returns scripted values, so a test can force each random choice. */
function scripted(script: { next?: number[]; int?: number[]; normal?: number[] }): Rng {
  const take = (q: number[] | undefined, what: string): number => {
    const v = q?.shift();
    if (v === undefined) throw new Error(`scripted rng: no ${what} value left`);
    return v;
  };
  return {
    next: () => take(script.next, 'next'),
    int: (n) => {
      const v = take(script.int, 'int');
      if (v >= n) throw new Error(`scripted int ${v} >= ${n}`);
      return v;
    },
    normal: () => take(script.normal, 'normal'),
  };
}

const noResample = { resampleProbability: 0 };

describe('explore: bounds', () => {
  const space: SearchSpace = {
    lr: { type: 'loguniform', min: 1e-5, max: 1e-1 },
    l1: { type: 'loguniform', min: 1e-6, max: 1e-2 },
    mom: { type: 'uniform', min: 0, max: 0.99 },
    bias: { type: 'uniform', min: -1, max: 1 },
    drop: { type: 'uniform', min: 0.1, max: 0.2 },
    layers: { type: 'int', min: 0, max: 5 },
    width: { type: 'int', min: 8, max: 1024, log: true },
    steps: { type: 'int', min: -3, max: 3 },
    noisyInt: { type: 'int', min: 1, max: 100, log: true },
    noisyLin: { type: 'int', min: 0, max: 10 },
    opt: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
    one: { type: 'categorical', values: [7] },
    batch: { type: 'fixed', value: 64 },
  };
  const cfg = {
    perturbFactors: [0.001, 0.5, 0.8, 1.2, 2, 1000],
    resampleProbability: 0.1,
    noise: { sigma: 3, params: ['l1', 'drop', 'noisyInt', 'noisyLin'] },
  };

  // Values at, just inside and just outside the bounds (explore clamps its input too).
  function nearBound(spec: ParamSpec, rng: Rng): HparamValue {
    if (spec.type === 'fixed') return spec.value;
    if (spec.type === 'categorical') return spec.values[rng.int(spec.values.length)] ?? '';
    const span = spec.max - spec.min;
    const candidates = [
      spec.min,
      spec.max,
      spec.min + span * 1e-9,
      spec.max - span * 1e-9,
      spec.max + span,
      spec.min - span,
    ];
    const v = candidates[rng.int(candidates.length)] ?? spec.min;
    return spec.type === 'int' ? Math.round(v) : v;
  }

  it('never escapes bounds and keeps ints integer over 10,000 explores', () => {
    const rng = createRng('bounds');
    let h: Hparams = sampleHparams(space, rng);
    let clamped = 0;
    const bad: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      // Alternate chains of explores (drifting to the bounds) with fresh near-bound starts.
      if (i % 50 === 0) {
        h = Object.fromEntries(Object.entries(space).map(([n, s]) => [n, nearBound(s, rng)]));
      }
      const out = explore(h, space, cfg, rng);
      // validateHparams checks bounds, integrality, categories and the fixed value.
      try {
        validateHparams(space, out.hparams);
      } catch (e) {
        bad.push(`${JSON.stringify(h)} → ${String(e)}`);
      }
      clamped += out.operations.filter((op) => op.includes('clamped')).length;
      h = out.hparams;
    }
    expect(bad).toEqual([]);
    // The big factors and sigma must really have pushed against the bounds.
    expect(clamped).toBeGreaterThan(10_000);
  });
});

describe('explore: operators', () => {
  it('perturbs multiplicatively and reports the factor', () => {
    const space: SearchSpace = { lr: { type: 'loguniform', min: 1e-4, max: 1e-1 } };
    const out = explore({ lr: 0.01 }, space, noResample, scripted({ next: [0.5], int: [1] }));
    expect(out.hparams.lr).toBeCloseTo(0.012, 15);
    expect(out.operations).toEqual(['lr 0.01→0.012 (×1.2)']);
    const atMax = explore({ lr: 0.1 }, space, noResample, scripted({ next: [0.5], int: [1] }));
    expect(atMax.hparams.lr).toBe(0.1);
    expect(atMax.operations).toEqual(['lr 0.1→0.1 (×1.2, clamped)']);
  });

  it('ints round, and move by one when rounding would leave them unchanged', () => {
    const space: SearchSpace = { n: { type: 'int', min: 1, max: 512 } };
    const run = (n: number, factorIndex: number): Hparams =>
      explore({ n }, space, noResample, scripted({ next: [0.5], int: [factorIndex] })).hparams;
    expect(run(64, 1)).toEqual({ n: 77 }); // 76.8 → 77
    expect(run(64, 0)).toEqual({ n: 51 }); // 51.2 → 51
    expect(run(2, 1)).toEqual({ n: 3 }); // 2.4 → 2 → +1
    expect(run(2, 0)).toEqual({ n: 1 }); // 1.6 → 2 → −1
    expect(run(1, 0)).toEqual({ n: 1 }); // 0.8 → 1 → 0 → clamped to 1
    expect(run(512, 1)).toEqual({ n: 512 });
  });

  it('adds noise in log10 space for log params and linearly otherwise', () => {
    const space: SearchSpace = {
      l1: { type: 'loguniform', min: 1e-6, max: 1 },
      x: { type: 'uniform', min: 0, max: 1 },
    };
    const cfg = { ...noResample, noise: { sigma: 0.5, params: ['l1', 'x'] } };
    const out = explore(
      { l1: 1e-4, x: 0.5 },
      space,
      cfg,
      scripted({ next: [0.5, 0.5], normal: [1, -0.2] }),
    );
    expect(out.hparams.l1).toBeCloseTo(10 ** -3.5, 15);
    expect(out.hparams.x).toBeCloseTo(0.4, 15);
    expect(out.operations).toEqual(['l1 1e-4→3.16e-4 (+N(0,0.5) log10)', 'x 0.5→0.4 (+N(0,0.5))']);
  });

  it('log10 noise is symmetric in log10 with the configured sigma', () => {
    const space: SearchSpace = { l1: { type: 'loguniform', min: 1e-9, max: 1e3 } };
    const cfg = { ...noResample, noise: { sigma: 0.5, params: ['l1'] } };
    const rng = createRng('noise');
    const d = Array.from({ length: 4000 }, () => {
      const v = Number(explore({ l1: 1e-3 }, space, cfg, rng).hparams.l1);
      return Math.log10(v) + 3;
    });
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.47);
    expect(sd).toBeLessThan(0.53);
  });

  it('resamples from the prior with the given probability', () => {
    const space: SearchSpace = { lr: { type: 'loguniform', min: 1e-4, max: 1e-1 } };
    const always = explore({ lr: 0.01 }, space, { resampleProbability: 1 }, createRng(1));
    expect(always.operations[0]).toMatch(/^lr resampled \d/);
    const rng = createRng('p');
    let resampled = 0;
    for (let i = 0; i < 4000; i++) {
      if (explore({ lr: 0.01 }, space, {}, rng).operations[0]?.includes('resampled')) resampled++;
    }
    expect(resampled / 4000).toBeGreaterThan(0.22); // default 0.25
    expect(resampled / 4000).toBeLessThan(0.28);
  });

  it('shifts categoricals to a neighbour; at an end to the only neighbour', () => {
    const space: SearchSpace = { width: { type: 'categorical', values: [16, 32, 64, 128] } };
    const seen = (from: number): Set<HparamValue> => {
      const out = new Set<HparamValue>();
      for (let s = 0; s < 200; s++) {
        out.add(explore({ width: from }, space, noResample, createRng(s)).hparams.width ?? -1);
      }
      return out;
    };
    expect(seen(16)).toEqual(new Set([32]));
    expect(seen(128)).toEqual(new Set([64]));
    expect(seen(32)).toEqual(new Set([16, 64]));
    const up = explore({ width: 64 }, space, noResample, scripted({ next: [0.5], int: [1] }));
    expect(up.operations).toEqual(['width 64→128 (shift +1)']);
    const single = explore(
      { c: 'a' },
      { c: { type: 'categorical', values: ['a'] } },
      noResample,
      createRng(1),
    );
    expect(single.hparams).toEqual({ c: 'a' });
  });

  it('leaves fixed params alone and does not list them', () => {
    const space: SearchSpace = {
      lr: { type: 'uniform', min: 0, max: 1 },
      batch: { type: 'fixed', value: 32 },
    };
    const out = explore({ lr: 0.5, batch: 32 }, space, noResample, createRng(3));
    expect(out.hparams.batch).toBe(32);
    expect(out.operations).toHaveLength(1);
  });

  it('is deterministic under a seed', () => {
    const space: SearchSpace = {
      lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
      opt: { type: 'categorical', values: ['a', 'b', 'c'] },
    };
    const h = { lr: 0.01, opt: 'b' };
    const a = Array.from({ length: 20 }, (_, s) => explore(h, space, {}, createRng('x', s)));
    const b = Array.from({ length: 20 }, (_, s) => explore(h, space, {}, createRng('x', s)));
    const c = Array.from({ length: 20 }, (_, s) => explore(h, space, {}, createRng('y', s)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('rejects hyperparameters it cannot repair', () => {
    const space: SearchSpace = { opt: { type: 'categorical', values: ['a', 'b'] } };
    expect(() => explore({ opt: 'z' }, space, {}, createRng(1))).toThrow(/opt: "z" is not one of/);
    expect(() => explore({}, space, {}, createRng(1))).toThrow(/no value for opt/);
  });
});

describe('explore: custom hook', () => {
  const space: SearchSpace = {
    lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
    n: { type: 'int', min: 1, max: 10 },
    batch: { type: 'fixed', value: 32 },
  };

  it('replaces the built-in explore; its output is clamped and the clamps listed', () => {
    const custom: CustomExplore = (h) => ({
      hparams: { ...h, lr: 5, n: 3.4 },
      operations: ['lr set to 5'],
    });
    const out = explore({ lr: 0.01, n: 2, batch: 32 }, space, {}, createRng(1), custom);
    expect(out.hparams).toEqual({ lr: 0.1, n: 3, batch: 32 });
    expect(out.operations).toEqual(['lr set to 5', 'lr clamped 5→0.1', 'n clamped 3.4→3']);
  });

  it('gets the rng, so it stays reproducible', () => {
    const custom: CustomExplore = (h, _space, rng) => ({
      hparams: { ...h, lr: 1e-4 + rng.next() * 1e-2 },
      operations: [],
    });
    const h = { lr: 0.01, n: 2, batch: 32 };
    expect(explore(h, space, {}, createRng(5), custom)).toEqual(
      explore(h, space, {}, createRng(5), custom),
    );
  });

  it('rejects missing, unknown and non-numeric values', () => {
    const h = { lr: 0.01, n: 2, batch: 32 };
    const missing: CustomExplore = () => ({ hparams: { lr: 0.01, batch: 32 }, operations: [] });
    const unknown: CustomExplore = (x) => ({ hparams: { ...x, lrr: 1 }, operations: [] });
    const nan: CustomExplore = (x) => ({ hparams: { ...x, lr: NaN }, operations: [] });
    expect(() => explore(h, space, {}, createRng(1), missing)).toThrow(/no value for n/);
    expect(() => explore(h, space, {}, createRng(1), unknown)).toThrow(
      /lrr: not in the search space/,
    );
    expect(() => explore(h, space, {}, createRng(1), nan)).toThrow(/lr: expected a number/);
  });
});

describe('validateExploreConfig', () => {
  it('lists every problem', () => {
    const space: SearchSpace = {
      lr: { type: 'uniform', min: 0, max: 1 },
      opt: { type: 'categorical', values: ['a'] },
    };
    let err: unknown;
    try {
      validateExploreConfig(
        {
          perturbFactors: [0.8, 0, -1],
          resampleProbability: 1.5,
          noise: { sigma: -1, params: ['opt', 'nope'] },
        },
        space,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(6);
    expect(issues.join('\n')).toMatch(/noise.params: opt is categorical/);
    expect(issues.join('\n')).toMatch(/noise.params: nope is not in the search space/);
    expect(() => validateExploreConfig({ perturbFactors: [] }, space)).toThrow(
      /at least one factor/,
    );
  });
});
