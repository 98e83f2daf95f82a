import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { createRng } from './rng.js';
import {
  clampParam,
  gridCounts,
  gridForPopulation,
  gridPoints,
  gridValues,
  sampleHparams,
  sampleParam,
  validateHparams,
  validateSpace,
} from './space.js';
import type { SearchSpace } from './space-types.js';

const space: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
  momentum: { type: 'uniform', min: 0, max: 0.99 },
  width: { type: 'int', min: 8, max: 256, log: true },
  layers: { type: 'int', min: 1, max: 4 },
  opt: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
  batch: { type: 'fixed', value: 32 },
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('validateSpace', () => {
  it('accepts a valid space', () => {
    expect(() => validateSpace(space)).not.toThrow();
  });

  it('rejects non-objects and the empty space with a hint', () => {
    expect(configError(() => validateSpace(null)).message).toMatch(/expected an object/);
    expect(configError(() => validateSpace([])).message).toMatch(/expected an object/);
    expect(configError(() => validateSpace({})).message).toMatch(/empty/);
  });

  it('lists every problem, each naming its param', () => {
    const err = configError(() =>
      validateSpace({
        a: { type: 'uniform', min: 1, max: 1 },
        b: { type: 'loguniform', min: 0, max: 1 },
        c: { type: 'int', min: 0.5, max: 3 },
        d: { type: 'int', min: 0, max: 10, log: true },
        e: { type: 'categorical', values: [] },
        f: { type: 'categorical', values: ['x', 'y', 'x'] },
        g: { type: 'uniform', min: Number.NaN, max: Infinity },
        h: { type: 'gaussian' },
        i: 'lr',
        j: { type: 'fixed', value: null },
        k: { type: 'uniform', min: 3, max: 1 },
      }),
    );
    const issues = err.issues.join('\n');
    expect(issues).toMatch(/^a: min \(1\) must be less than max \(1\)/m);
    expect(issues).toMatch(/^b: loguniform needs min > 0/m);
    expect(issues).toMatch(/^c: int bounds must be integers \(got min 0.5\)/m);
    expect(issues).toMatch(/^d: int with log: true needs min > 0/m);
    expect(issues).toMatch(/^e: categorical needs a non-empty array/m);
    expect(issues).toMatch(/^f: categorical values must be unique \("x"/m);
    expect(issues).toMatch(/^g: min must be a finite number \(got NaN\)/m);
    expect(issues).toMatch(/^g: max must be a finite number \(got Infinity\)/m);
    expect(issues).toMatch(/^h: unknown type "gaussian"/m);
    expect(issues).toMatch(/^i: spec must be an object/m);
    expect(issues).toMatch(/^j: fixed value must be a finite number or a string/m);
    expect(issues).toMatch(/^k: min \(3\) must be less than max \(1\)/m);
    expect(err.issues).toHaveLength(12);
    // The message shows the issues too, so a CLI printing err.message is enough.
    expect(err.message).toContain('f: categorical values must be unique');
  });
});

describe('sampleParam / sampleHparams', () => {
  it('stays in bounds with integer ints, and covers every category', () => {
    const rng = createRng('sample');
    const seen = new Set<unknown>();
    for (let i = 0; i < 2000; i++) {
      const h = sampleHparams(space, rng);
      expect(() => validateHparams(space, h)).not.toThrow();
      seen.add(h.opt);
    }
    expect(seen).toEqual(new Set(['sgd', 'adam', 'rmsprop']));
  });

  it('loguniform is uniform in log space', () => {
    const rng = createRng('log');
    const spec = { type: 'loguniform', min: 1e-4, max: 1 } as const;
    const xs = Array.from({ length: 4000 }, () => Number(sampleParam(spec, rng)));
    const belowGeoMid = xs.filter((x) => x < 1e-2).length / xs.length;
    const belowDecade = xs.filter((x) => x < 1e-3).length / xs.length;
    expect(belowGeoMid).toBeGreaterThan(0.46);
    expect(belowGeoMid).toBeLessThan(0.54);
    expect(belowDecade).toBeGreaterThan(0.21);
    expect(belowDecade).toBeLessThan(0.29);
  });

  it('int covers every integer uniformly; log-int favours small values', () => {
    const rng = createRng('int');
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const v = Number(sampleParam({ type: 'int', min: 1, max: 4 }, rng));
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4]);
    for (const c of counts.values()) expect(c).toBeGreaterThan(850);

    const logInts = Array.from({ length: 4000 }, () =>
      Number(sampleParam({ type: 'int', min: 1, max: 1000, log: true }, rng)),
    );
    expect(logInts.every((v) => Number.isInteger(v) && v >= 1 && v <= 1000)).toBe(true);
    // P(v < 32) is about log(32)/log(1001) = 0.50 on a log scale, 0.031 on a linear one.
    const small = logInts.filter((v) => v < 32).length / logInts.length;
    expect(small).toBeGreaterThan(0.45);
    expect(small).toBeLessThan(0.55);
  });

  it('is deterministic under a seed', () => {
    expect(sampleHparams(space, createRng(7))).toEqual(sampleHparams(space, createRng(7)));
    expect(sampleHparams(space, createRng(7))).not.toEqual(sampleHparams(space, createRng(8)));
  });
});

describe('clampParam', () => {
  it('clamps numbers and rounds ints', () => {
    expect(clampParam({ type: 'uniform', min: 0, max: 1 }, 1.5)).toBe(1);
    expect(clampParam({ type: 'loguniform', min: 1e-4, max: 1 }, 0)).toBe(1e-4);
    expect(clampParam({ type: 'int', min: 1, max: 10 }, 3.6)).toBe(4);
    expect(clampParam({ type: 'int', min: 1, max: 10 }, 10.4)).toBe(10);
    expect(clampParam({ type: 'int', min: 1, max: 10 }, -Infinity)).toBe(1);
    expect(clampParam({ type: 'fixed', value: 32 }, 64)).toBe(32);
  });

  it('rejects values that cannot be repaired', () => {
    expect(
      configError(() => clampParam({ type: 'uniform', min: 0, max: 1 }, NaN, 'lr')).message,
    ).toMatch(/^lr: expected a number/);
    expect(
      configError(() => clampParam({ type: 'int', min: 0, max: 1 }, '1', 'n')).message,
    ).toMatch(/^n: expected a number/);
    expect(
      configError(() => clampParam({ type: 'categorical', values: ['a', 'b'] }, 'c', 'opt'))
        .message,
    ).toMatch(/^opt: "c" is not one of \["a", "b"\]/);
    expect(clampParam({ type: 'categorical', values: ['a', 'b'] }, 'b')).toBe('b');
  });
});

describe('grids', () => {
  it('puts points at the midpoints of equal cells: linear, geometric and over integers', () => {
    const lin = gridValues({ type: 'uniform', min: 0, max: 1 }, 5).map(Number);
    [0.1, 0.3, 0.5, 0.7, 0.9].forEach((x, i) => expect(lin[i]).toBeCloseTo(x, 12));
    const logs = gridValues({ type: 'loguniform', min: 1e-4, max: 1 }, 5).map(Number);
    logs.forEach((v, i) => expect(Math.log10(v)).toBeCloseTo(-3.6 + 0.8 * i, 12));
    expect(gridValues({ type: 'uniform', min: 0, max: 1 }, 1)).toEqual([0.5]);
    expect(Number(gridValues({ type: 'loguniform', min: 1e-4, max: 1 }, 1)[0])).toBeCloseTo(
      1e-2,
      12,
    );
    // Two learning rates over [1e-5, 1e-2]: 10^-4.25 and 10^-2.75, neither bound.
    const two = gridValues({ type: 'loguniform', min: 1e-5, max: 1e-2 }, 2).map(Number);
    expect(two.map((v) => Math.log10(v))).toEqual([
      expect.closeTo(-4.25, 12),
      expect.closeTo(-2.75, 12),
    ]);
    expect(gridValues({ type: 'int', min: 0, max: 10 }, 3)).toEqual([2, 5, 8]);
    expect(gridValues({ type: 'int', min: 1, max: 3 }, 10)).toEqual([1, 2, 3]);
    expect(gridValues({ type: 'int', min: 1, max: 1000, log: true }, 4)).toEqual([2, 13, 75, 422]);
    // Geometric points collide near 1 after rounding; they are pushed apart.
    const crowded = gridValues({ type: 'int', min: 1, max: 20, log: true }, 15).map(Number);
    expect(new Set(crowded).size).toBe(15);
    expect(crowded.every((v) => v >= 1 && v <= 20)).toBe(true);
    expect(crowded).toEqual([...crowded].sort((a, b) => a - b));
  });

  it('categorical grids use all values, or evenly spaced ones when asked for fewer', () => {
    const spec = { type: 'categorical', values: ['a', 'b', 'c', 'd', 'e'] } as const;
    expect(gridValues(spec, 9)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gridValues(spec, 3)).toEqual(['a', 'c', 'e']);
    expect(gridValues(spec, 1)).toEqual(['c']);
  });

  it('gridPoints is the cartesian product, first param slowest, fixed values kept', () => {
    const points = gridPoints(
      {
        x: { type: 'uniform', min: 0, max: 1 },
        opt: { type: 'categorical', values: ['a', 'b'] },
        batch: { type: 'fixed', value: 32 },
      },
      3,
    );
    // x at the midpoints of three equal cells: 1/6, 1/2, 5/6.
    const rounded = points.map((p) => ({ ...p, x: Number(Number(p.x).toFixed(6)) }));
    expect(rounded).toEqual([
      { x: 0.166667, opt: 'a', batch: 32 },
      { x: 0.166667, opt: 'b', batch: 32 },
      { x: 0.5, opt: 'a', batch: 32 },
      { x: 0.5, opt: 'b', batch: 32 },
      { x: 0.833333, opt: 'a', batch: 32 },
      { x: 0.833333, opt: 'b', batch: 32 },
    ]);
    expect(() => gridPoints({ x: { type: 'uniform', min: 0, max: 1 } }, {})).toThrow(
      /no point count given for x/,
    );
    expect(() => gridPoints({ x: { type: 'uniform', min: 0, max: 1 } }, 0)).toThrow(ConfigError);
  });

  it('gridForPopulation fills the population round the params in declared order', () => {
    const two = {
      a: { type: 'uniform', min: 0, max: 1 },
      b: { type: 'loguniform', min: 1e-3, max: 1 },
      c: { type: 'fixed', value: 'x' },
    } as const;
    expect(gridCounts(two, 16)).toEqual({ a: 4, b: 4 });
    // 2x1, 2x2, 3x2, 3x3, 4x3 = 12, then 5x3 = 15 (4x4 = 16 does not fit).
    expect(gridCounts(two, 15)).toEqual({ a: 5, b: 3 });
    expect(gridCounts(two, 3)).toEqual({ a: 3, b: 1 });
    expect(gridForPopulation(two, 10)).toHaveLength(9);
    // Three continuous params and 6 members: 3 x 2 x 1, not one point (k = 1 for all three).
    const three = { ...two, d: { type: 'uniform', min: 0, max: 1 } } as const;
    expect(gridCounts(three, 6)).toEqual({ a: 3, b: 2, d: 1 });
    expect(gridForPopulation(three, 6)).toHaveLength(6);
    const [only, ...rest] = gridForPopulation(two, 1);
    expect(rest).toEqual([]);
    expect(only?.a).toBe(0.5);
    expect(Number(only?.b)).toBeCloseTo(Math.sqrt(1e-3), 12);
    expect(only?.c).toBe('x');
  });

  it('gridForPopulation gives categorical and small int params their own count when it fits', () => {
    const mixed = {
      opt: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
      lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
    } as const;
    // k = 5: 3 categories x 5 learning rates = 15 <= 16 (k = 6 would give 18).
    expect(gridCounts(mixed, 16)).toEqual({ opt: 3, lr: 5 });
    expect(gridForPopulation(mixed, 16)).toHaveLength(15);
    // Not enough room for every category: k = 2 gives 2 of them, evenly spaced.
    expect(gridCounts(mixed, 5)).toEqual({ opt: 2, lr: 2 });
    expect(new Set(gridForPopulation(mixed, 5).map((p) => p.opt))).toEqual(
      new Set(['sgd', 'rmsprop']),
    );
    // Only capped params: the grid stops growing at the full product.
    expect(
      gridCounts(
        { n: { type: 'int', min: 1, max: 3 }, o: { type: 'categorical', values: [1, 2] } },
        100,
      ),
    ).toEqual({ n: 3, o: 2 });
    expect(gridCounts({ c: { type: 'fixed', value: 1 } }, 8)).toEqual({});
    expect(gridForPopulation({ c: { type: 'fixed', value: 1 } }, 8)).toEqual([{ c: 1 }]);
  });
});

describe('validateHparams', () => {
  it('accepts a valid member and lists every problem otherwise', () => {
    const ok = { lr: 0.01, momentum: 0.9, width: 64, layers: 2, opt: 'adam', batch: 32 };
    expect(() => validateHparams(space, ok)).not.toThrow();
    const err = configError(() =>
      validateHparams(space, {
        lr: 0.5,
        momentum: 'high',
        width: 64.5,
        opt: 'lion',
        batch: 16,
        lrr: 1,
      }),
    );
    const issues = err.issues.join('\n');
    expect(issues).toMatch(/^lr: 0.5 is outside \[0.0001, 0.1\]/m);
    expect(issues).toMatch(/^momentum: expected a finite number, got "high"/m);
    expect(issues).toMatch(/^width: expected an integer, got 64.5/m);
    expect(issues).toMatch(/^layers: missing \(expected integers in \[1, 4\]\)/m);
    expect(issues).toMatch(/^opt: "lion" is not one of/m);
    expect(issues).toMatch(/^batch: 16 differs from its fixed value 32/m);
    expect(issues).toMatch(/^lrr: not in the search space/m);
    expect(err.issues).toHaveLength(7);
  });
});
