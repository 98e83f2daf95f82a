import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import {
  clampNumeric,
  clampParam,
  sampleParam,
  validateHparams,
  type NumericSpec,
} from '../core/space.js';
import type { ParamSpec, SearchSpace } from '../core/space-types.js';
import type { HparamValue, Hparams } from '../core/types.js';
import type { ExploreConfig } from './config-types.js';
import { formatValue as fmt } from './format-value.js';

export const DEFAULT_PERTURB_FACTORS: readonly number[] = [0.8, 1.2];
export const DEFAULT_RESAMPLE_PROBABILITY = 0.25;

/** New hyperparameters plus a readable line per change, for the lineage log. */
export interface ExploreResult {
  readonly hparams: Hparams;
  readonly operations: string[];
}

/**
 * A user-supplied explore step replacing the built-in one. Its output is clamped into the space
 * and validated like the built-in one's.
 */
export type CustomExplore = (
  h: Hparams,
  space: SearchSpace,
  rng: Rng,
) => { readonly hparams: Hparams; readonly operations: readonly string[] };

type Categorical = Extract<ParamSpec, { type: 'categorical' }>;
type Change = { readonly value: HparamValue; readonly operation: string };

/** Check an explore config against the space; throws ConfigError listing every problem. */
export function validateExploreConfig(cfg: ExploreConfig, space: SearchSpace): void {
  const issues: string[] = [];
  const { perturbFactors, resampleProbability, noise } = cfg;
  if (perturbFactors !== undefined) {
    if (perturbFactors.length === 0) issues.push('perturbFactors: give at least one factor');
    for (const f of perturbFactors) {
      if (!Number.isFinite(f) || f <= 0) {
        issues.push(`perturbFactors: ${f} is not a positive finite number (e.g. use [0.8, 1.2])`);
      }
    }
  }
  if (
    resampleProbability !== undefined &&
    !(Number.isFinite(resampleProbability) && resampleProbability >= 0 && resampleProbability <= 1)
  ) {
    issues.push(`resampleProbability: ${resampleProbability} must be between 0 and 1`);
  }
  if (noise !== undefined) {
    if (!(Number.isFinite(noise.sigma) && noise.sigma >= 0)) {
      issues.push(`noise.sigma: ${noise.sigma} must be a finite number >= 0`);
    }
    for (const name of noise.params) {
      const spec = space[name];
      if (spec === undefined) {
        issues.push(`noise.params: ${name} is not in the search space`);
      } else if (spec.type === 'categorical' || spec.type === 'fixed') {
        issues.push(`noise.params: ${name} is ${spec.type}; noise applies to numeric params only`);
      }
    }
  }
  const { kappa, maxPoints } = cfg.pb2 ?? {};
  if (kappa !== undefined && !(Number.isFinite(kappa) && kappa >= 0)) {
    issues.push(`pb2.kappa: ${kappa} must be a finite number >= 0 (default 2)`);
  }
  if (
    maxPoints !== undefined &&
    !(Number.isInteger(maxPoints) && maxPoints >= 2 && maxPoints <= 1000)
  ) {
    issues.push(`pb2.maxPoints: ${maxPoints} must be a whole number from 2 to 1000`);
  }
  if (issues.length > 0) throw new ConfigError('invalid explore config:', issues);
}

/**
 * Change copied hyperparameters. For each non-fixed param: with probability
 * `resampleProbability` draw a fresh value from its prior; else categorical params shift to a
 * neighbouring value, params listed in `noise.params` get additive N(0, sigma) (in log10 space
 * for log params), and the rest are multiplied by a factor drawn from `perturbFactors` (for log
 * params that is a shift in log space). Results are always clamped into bounds; ints stay ints.
 */
export function explore(
  h: Hparams,
  space: SearchSpace,
  cfg: ExploreConfig,
  rng: Rng,
  custom?: CustomExplore,
): ExploreResult {
  validateExploreConfig(cfg, space);
  if (custom !== undefined) return finishCustom(custom(h, space, rng), space);
  const hparams: Record<string, HparamValue> = {};
  const operations: string[] = [];
  for (const [name, spec] of Object.entries(space)) {
    if (spec.type === 'fixed') {
      hparams[name] = spec.value;
      continue;
    }
    const change = exploreParam(name, spec, currentValue(h, name, spec), cfg, rng);
    hparams[name] = change.value;
    operations.push(change.operation);
  }
  return { hparams, operations };
}

function currentValue(h: Hparams, name: string, spec: ParamSpec): HparamValue {
  if (!Object.hasOwn(h, name)) {
    throw new ConfigError(`cannot explore: the hyperparameters have no value for ${name}`);
  }
  return clampParam(spec, h[name], name);
}

function exploreParam(
  name: string,
  spec: Exclude<ParamSpec, { type: 'fixed' }>,
  old: HparamValue,
  cfg: ExploreConfig,
  rng: Rng,
): Change {
  if (rng.next() < (cfg.resampleProbability ?? DEFAULT_RESAMPLE_PROBABILITY)) {
    const value = sampleParam(spec, rng);
    return { value, operation: `${name} resampled ${fmt(value)}` };
  }
  if (spec.type === 'categorical') return shiftCategorical(name, spec, old, rng);
  const x = Number(old); // numeric spec: clampParam already guaranteed a number
  if (cfg.noise?.params.includes(name) === true)
    return addNoise(name, spec, x, cfg.noise.sigma, rng);
  return perturb(name, spec, x, cfg.perturbFactors ?? DEFAULT_PERTURB_FACTORS, rng);
}

function perturb(
  name: string,
  spec: NumericSpec,
  old: number,
  factors: readonly number[],
  rng: Rng,
): Change {
  const factor = factors[rng.int(factors.length)] ?? 1;
  let raw = old * factor;
  if (spec.type === 'int') {
    raw = Math.round(raw);
    // Small ints would never move under ×0.8/×1.2; step by one in the factor's direction.
    if (raw === old) raw = old + Math.sign(factor - 1);
  }
  return numericChange(name, spec, old, raw, `×${factor}`);
}

function addNoise(name: string, spec: NumericSpec, old: number, sigma: number, rng: Rng): Change {
  const log = spec.type === 'loguniform' || (spec.type === 'int' && spec.log === true);
  const z = sigma * rng.normal();
  const raw = log ? 10 ** (Math.log10(old) + z) : old + z;
  return numericChange(name, spec, old, raw, `+N(0,${sigma})${log ? ' log10' : ''}`);
}

function numericChange(
  name: string,
  spec: NumericSpec,
  old: number,
  raw: number,
  how: string,
): Change {
  const value = clampNumeric(spec, raw);
  const rounded = spec.type === 'int' ? Math.round(raw) : raw;
  const note = value !== rounded ? ', clamped' : '';
  return { value, operation: `${name} ${fmt(old)}→${fmt(value)} (${how}${note})` };
}

// The values are an ordered list: move to a neighbour; at an end the only neighbour.
function shiftCategorical(name: string, spec: Categorical, old: HparamValue, rng: Rng): Change {
  const n = spec.values.length;
  const i = spec.values.indexOf(old);
  if (n === 1) return { value: old, operation: `${name} ${fmt(old)} (only value)` };
  const dir = i === 0 ? 1 : i === n - 1 ? -1 : rng.int(2) === 0 ? -1 : 1;
  const value = spec.values[i + dir] ?? old;
  return {
    value,
    operation: `${name} ${fmt(old)}→${fmt(value)} (shift ${dir > 0 ? '+1' : '-1'})`,
  };
}

function finishCustom(result: ReturnType<CustomExplore>, space: SearchSpace): ExploreResult {
  if (typeof result !== 'object' || result === null || typeof result.hparams !== 'object') {
    throw new ConfigError('custom explore function must return { hparams, operations }');
  }
  const operations = Array.isArray(result.operations) ? result.operations.map(String) : [];
  const hparams: Record<string, HparamValue> = {};
  for (const [name, spec] of Object.entries(space)) {
    if (!Object.hasOwn(result.hparams, name)) {
      throw new ConfigError(`custom explore function returned no value for ${name}`);
    }
    const raw = result.hparams[name];
    const value = clampParam(spec, raw, name);
    if (value !== raw) operations.push(`${name} clamped ${fmt(raw ?? '')}→${fmt(value)}`);
    hparams[name] = value;
  }
  // Unknown names are rejected rather than silently dropped (usually a typo in the hook).
  validateHparams(space, { ...result.hparams, ...hparams });
  return { hparams, operations };
}
