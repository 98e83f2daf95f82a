import { describe, expect, it } from 'vitest';
import { mergeComparisons } from './merge.js';
import { summarizeMethod, type ComparisonJson, type RunSummary } from './summary.js';

function run(seed: number, score: number, curve?: (number | null)[]): RunSummary {
  return {
    seed,
    experiments: [`e-${seed}`],
    member: { experiment: `e-${seed}`, id: 0 },
    validationScore: score,
    score,
    metrics: null,
    hparams: null,
    totalSteps: 100,
    wallSeconds: seed,
    cpuSeconds: 2 * seed,
    ...(curve ? { curve } : {}),
  };
}

function comparison(
  id: string,
  methods: Record<string, RunSummary[]>,
  over: Partial<ComparisonJson> = {},
): ComparisonJson {
  const summaries = Object.fromEntries(
    Object.entries(methods).map(([m, runs]) => [m, summarizeMethod(runs)]),
  );
  return {
    id,
    task: 'toy',
    metric: 'score',
    higherIsBetter: true,
    finalScore: 'f',
    interval: 'i',
    population: 4,
    budgetSteps: 25,
    seeds: [...new Set(Object.values(methods).flatMap((r) => r.map((x) => x.seed)))],
    methods: summaries,
    loadAverage: [1, 1, 1],
    writtenAt: `2026-12-07T10:00:0${id.length}Z`,
    ...over,
  };
}

const curve = (y: number): number[] => Array.from({ length: 10 }, () => y);

describe('mergeComparisons', () => {
  it('puts methods of two comparisons side by side and keeps each part', () => {
    const a = comparison('a', { pbt: [run(1, 0.9), run(2, 0.8)] });
    const b = comparison('bb', { random: [run(1, 0.5), run(2, 0.7)] });
    const merged = mergeComparisons([
      { name: 'a.json', json: a },
      { name: 'b.json', json: b },
    ]);
    expect(Object.keys(merged.methods)).toEqual(['pbt', 'random']);
    expect(merged.methods.random).toEqual(b.methods.random);
    expect(merged.parts.map((p) => p.id)).toEqual(['a', 'bb']);
    expect(merged.id).toBe('a+bb');
  });

  it('summarises a method again when its seeds come from two runs: mean and t-interval over all', () => {
    const a = comparison('a', { pbt: [run(1, 1, curve(0.5)), run(2, 2, curve(1))] });
    const b = comparison('bb', { pbt: [run(3, 3, curve(1.5))] });
    const merged = mergeComparisons([
      { name: 'a.json', json: a },
      { name: 'b.json', json: b },
    ]);
    const pbt = merged.methods.pbt!;
    expect(pbt.seeds).toEqual([1, 2, 3]);
    expect(pbt.mean).toBe(2);
    expect(pbt.sd).toBe(1);
    // t(0.975, 2) = 4.303; half-width 4.303 · 1 / √3
    expect(pbt.ci95![1] - 2).toBeCloseTo(4.303 / Math.sqrt(3), 6);
    expect(pbt.curve.mean[9]).toBe(1);
    expect(merged.seeds).toEqual([1, 2, 3]);
  });

  it('refuses runs of another setting, a seed given twice, and curve-less runs split over inputs', () => {
    const a = comparison('a', { pbt: [run(1, 1, curve(1))] });
    expect(() =>
      mergeComparisons([
        { name: 'a.json', json: a },
        { name: 'b.json', json: comparison('b', { fixed: [run(1, 1)] }, { budgetSteps: 50 }) },
      ]),
    ).toThrow(/budgetSteps 50 but a.json has 25/);
    expect(() =>
      mergeComparisons([
        { name: 'a.json', json: a },
        { name: 'b.json', json: comparison('b', { pbt: [run(1, 2, curve(1))] }) },
      ]),
    ).toThrow(/pbt seed 1, which an earlier input already has/);
    expect(() =>
      mergeComparisons([
        { name: 'a.json', json: a },
        { name: 'b.json', json: comparison('b', { pbt: [run(2, 2)] }) },
      ]),
    ).toThrow(/carry no curve/);
  });
});
