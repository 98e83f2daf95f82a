import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { mergeConfig, parseExperimentConfig } from './experiment-config.js';

const base = { task: 'toy', budget: { steps: 100 } };

function issuesOf(raw: unknown): string {
  try {
    parseExperimentConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('experiment config', () => {
  it('fills defaults: async truncation PBT, perturb explore, population 10', () => {
    const c = parseExperimentConfig(base);
    expect(c.method).toBe('pbt');
    expect(c.mode).toBe('async');
    expect(c.population).toBe(10);
    expect(c.exploit).toEqual({ kind: 'truncation', fraction: 0.25 });
    expect(c.ready).toEqual({ every: 100, unit: 'steps', burnIn: 0 });
  });

  it('names unknown keys, including nested ones, and says how to fix them', () => {
    expect(issuesOf({ ...base, populaton: 4 })).toMatch(
      /\(top level\): unknown key "populaton".*check the spelling/,
    );
    expect(issuesOf({ ...base, ready: { evry: 4 } })).toMatch(/ready: unknown key "evry"/);
  });

  it('names wrong types', () => {
    expect(issuesOf({ ...base, population: 'ten' })).toMatch(/population:/);
    expect(issuesOf({ ...base, budget: { steps: -5 } })).toMatch(/budget\.steps:/);
  });

  it('rejects a PBT population below 2 but allows a single fixed baseline', () => {
    expect(issuesOf({ ...base, population: 1 })).toMatch(
      /population: PBT needs a population of at least 2/,
    );
    expect(parseExperimentConfig({ ...base, population: 1, method: 'fixed' }).population).toBe(1);
  });

  it('baselines never exploit, even when defaults say truncation by counts', () => {
    const single = {
      ...base,
      method: 'fixed',
      population: 1,
      exploit: { kind: 'truncation', bottom: 4, top: 4 },
    };
    expect(parseExperimentConfig(single).exploit).toEqual({ kind: 'none' });
    for (const method of ['random', 'grid', 'fixed'] as const) {
      expect(
        parseExperimentConfig({ ...base, method, exploit: { kind: 'truncation', fraction: 0.5 } })
          .exploit,
      ).toEqual({ kind: 'none' });
    }
  });

  it('reads the selection settings: fitness, t-test exploit, PB2 explore', () => {
    expect(parseExperimentConfig(base).fitness).toEqual({ kind: 'last' });
    const c = parseExperimentConfig({
      ...base,
      fitness: { kind: 'trend', window: 4, horizon: 200 },
      exploit: { kind: 'ttest', window: 10, significance: 0.05 },
      explore: { kind: 'pb2', pb2: { kappa: 1 } },
    });
    expect(c.fitness).toEqual({ kind: 'trend', window: 4, horizon: 200 });
    expect(c.exploit).toEqual({ kind: 'ttest', window: 10, significance: 0.05 });
    expect(c.explore.kind).toBe('pb2');
    expect(issuesOf({ ...base, fitness: { kind: 'ema', alpha: 2 } })).toMatch(/fitness.alpha/);
    expect(issuesOf({ ...base, exploit: { kind: 'ttest', window: 1 } })).toMatch(/exploit.window/);
    expect(issuesOf({ ...base, explore: { kind: 'bayes' } })).toMatch(/explore.kind/);
  });

  it('rejects a truncation fraction above 0.5', () => {
    expect(issuesOf({ ...base, exploit: { kind: 'truncation', fraction: 0.6 } })).toMatch(
      /exploit\.fraction: .*at most 0\.5/,
    );
  });

  it('rejects bottom + top above the population and initialHparams of the wrong length', () => {
    expect(
      issuesOf({ ...base, population: 4, exploit: { kind: 'truncation', bottom: 3, top: 3 } }),
    ).toMatch(/exploit: bottom \+ top \(6\) exceeds the population \(4\)/);
    expect(
      issuesOf({ ...base, population: 2, initialHparams: [{ a: 1 }, { a: 2 }, { a: 3 }] }),
    ).toMatch(/initialHparams: has 3 entries but the population is 2/);
  });

  it('merges task defaults under user values; exploit and param specs are replaced whole', () => {
    const defaults = {
      population: 2,
      exploit: { kind: 'truncation', fraction: 0.5 },
      explore: { resampleProbability: 0 },
      space: { a: { type: 'uniform', min: 0, max: 1 } },
    };
    const merged = mergeConfig(defaults, {
      exploit: { kind: 'tournament' },
      explore: { perturbFactors: [0.5, 2] },
      space: { b: { type: 'fixed', value: 1 } },
    });
    expect(merged.exploit).toEqual({ kind: 'tournament' });
    expect(merged.explore).toEqual({ resampleProbability: 0, perturbFactors: [0.5, 2] });
    expect(merged.space).toEqual({
      a: { type: 'uniform', min: 0, max: 1 },
      b: { type: 'fixed', value: 1 },
    });
    expect(merged.population).toBe(2);
  });
});
