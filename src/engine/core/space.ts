import { ConfigError } from './errors.js';
import type { Rng } from './rng.js';
import type { ParamSpec, SearchSpace } from './space-types.js';
import type { HparamValue, Hparams } from './types.js';

/** Params with numeric bounds (the ones explore perturbs or adds noise to). */
export type NumericSpec = Extract<ParamSpec, { readonly min: number }>;

const PARAM_TYPES = 'uniform, loguniform, int, categorical or fixed';
const SPACE_EXAMPLE = `{ lr: { type: 'loguniform', min: 1e-4, max: 0.1 } }`;

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Check a search space from user input. Throws one ConfigError listing every problem, each
 * prefixed with the param name, so a user can fix them all in one go.
 */
export function validateSpace(space: unknown): asserts space is SearchSpace {
  if (!isRecord(space)) {
    throw new ConfigError(
      `invalid search space: expected an object mapping hyperparameter names to specs, e.g. ${SPACE_EXAMPLE}`,
    );
  }
  const names = Object.keys(space);
  if (names.length === 0) {
    throw new ConfigError(
      `invalid search space: it is empty; define at least one hyperparameter, e.g. ${SPACE_EXAMPLE}`,
    );
  }
  const issues = names.flatMap((name) => specIssues(name, space[name]));
  if (issues.length > 0) throw new ConfigError('invalid search space:', issues);
}

function specIssues(name: string, spec: unknown): string[] {
  if (!isRecord(spec)) return [`${name}: spec must be an object with a "type" (${PARAM_TYPES})`];
  switch (spec.type) {
    case 'uniform':
      return rangeIssues(name, spec, 'uniform', false);
    case 'loguniform':
      return rangeIssues(name, spec, 'loguniform', true);
    case 'int':
      return intIssues(name, spec);
    case 'categorical':
      return categoricalIssues(name, spec.values);
    case 'fixed':
      return isValue(spec.value)
        ? []
        : [`${name}: fixed value must be a finite number or a string (got ${show(spec.value)})`];
    default:
      return [`${name}: unknown type ${show(spec.type)}; use ${PARAM_TYPES}`];
  }
}

function rangeIssues(
  name: string,
  spec: Record<string, unknown>,
  what: string,
  log: boolean,
): string[] {
  const { min, max } = spec;
  const issues: string[] = [];
  if (!isFiniteNumber(min)) issues.push(`${name}: min must be a finite number (got ${show(min)})`);
  if (!isFiniteNumber(max)) issues.push(`${name}: max must be a finite number (got ${show(max)})`);
  if (!isFiniteNumber(min) || !isFiniteNumber(max)) return issues;
  if (!(min < max)) issues.push(`${name}: min (${min}) must be less than max (${max})`);
  if (log && min <= 0) {
    issues.push(
      `${name}: ${what} needs min > 0 (got ${min}); a log scale cannot reach 0 or below, use a small positive min such as 1e-6 or a uniform range`,
    );
  }
  return issues;
}

function intIssues(name: string, spec: Record<string, unknown>): string[] {
  const { log } = spec;
  const issues: string[] = [];
  if (log !== undefined && typeof log !== 'boolean') {
    issues.push(`${name}: log must be true or false (got ${show(log)})`);
  }
  issues.push(...rangeIssues(name, spec, 'int with log: true', log === true));
  for (const bound of ['min', 'max'] as const) {
    const v = spec[bound];
    if (isFiniteNumber(v) && !Number.isInteger(v)) {
      issues.push(`${name}: int bounds must be integers (got ${bound} ${v})`);
    }
  }
  return issues;
}

function categoricalIssues(name: string, values: unknown): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    return [`${name}: categorical needs a non-empty array of values (got ${show(values)})`];
  }
  const issues: string[] = [];
  const seen = new Set<unknown>();
  for (const v of values as unknown[]) {
    if (!isValue(v)) {
      issues.push(`${name}: categorical values must be finite numbers or strings (got ${show(v)})`);
    } else if (seen.has(v)) {
      issues.push(`${name}: categorical values must be unique (${show(v)} appears more than once)`);
    }
    seen.add(v);
  }
  return issues;
}

/**
 * Check one member's hyperparameters against the space: every param present and inside its
 * bounds, no unknown names (usually a typo).
 */
export function validateHparams(space: SearchSpace, h: Hparams): void {
  const issues: string[] = [];
  for (const [name, spec] of Object.entries(space)) {
    if (!Object.hasOwn(h, name)) {
      issues.push(`${name}: missing (expected ${describeSpec(spec)})`);
      continue;
    }
    const problem = valueIssue(spec, h[name]);
    if (problem !== null) issues.push(`${name}: ${problem}`);
  }
  for (const name of Object.keys(h)) {
    if (!Object.hasOwn(space, name)) {
      issues.push(
        `${name}: not in the search space (known: ${Object.keys(space).join(', ')}); check the spelling`,
      );
    }
  }
  if (issues.length > 0) throw new ConfigError('invalid hyperparameters:', issues);
}

function valueIssue(spec: ParamSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'uniform':
    case 'loguniform':
    case 'int':
      if (!isFiniteNumber(value)) return `expected a finite number, got ${show(value)}`;
      if (spec.type === 'int' && !Number.isInteger(value))
        return `expected an integer, got ${value}`;
      return value < spec.min || value > spec.max
        ? `${value} is outside ${describeSpec(spec)}`
        : null;
    case 'categorical':
      return spec.values.includes(value as HparamValue)
        ? null
        : `${show(value)} is not one of ${describeSpec(spec)}`;
    case 'fixed':
      return value === spec.value
        ? null
        : `${show(value)} differs from its fixed value ${show(spec.value)}`;
  }
}

/** A short human description of a spec's allowed values, for messages. */
export function describeSpec(spec: ParamSpec): string {
  switch (spec.type) {
    case 'uniform':
    case 'loguniform':
      return `[${spec.min}, ${spec.max}]`;
    case 'int':
      return `integers in [${spec.min}, ${spec.max}]`;
    case 'categorical':
      return `[${spec.values.map(show).join(', ')}]`;
    case 'fixed':
      return show(spec.value);
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling and clamping

/** Draw one value from a param's prior. */
export function sampleParam(spec: ParamSpec, rng: Rng): HparamValue {
  switch (spec.type) {
    case 'uniform':
      return clampNumeric(spec, spec.min + (spec.max - spec.min) * rng.next());
    case 'loguniform':
      return clampNumeric(spec, logUniform(spec.min, spec.max, rng));
    case 'int':
      // Log-int: floor of a log-uniform draw on [min, max + 1), so P(k) ∝ log((k + 1) / k).
      return spec.log === true
        ? clampNumeric(spec, Math.floor(logUniform(spec.min, spec.max + 1, rng)))
        : spec.min + rng.int(spec.max - spec.min + 1);
    case 'categorical':
      return itemAt(spec.values, rng.int(spec.values.length));
    case 'fixed':
      return spec.value;
  }
}

/** Draw a whole member from the priors, in the space's key order (so a seed fixes the result). */
export function sampleHparams(space: SearchSpace, rng: Rng): Hparams {
  const h: Record<string, HparamValue> = {};
  for (const [name, spec] of Object.entries(space)) h[name] = sampleParam(spec, rng);
  return h;
}

function logUniform(min: number, max: number, rng: Rng): number {
  const lo = Math.log(min);
  return Math.exp(lo + (Math.log(max) - lo) * rng.next());
}

/**
 * Bring a value into its param's bounds: numbers are clamped (ints rounded first, so they stay
 * integers); a categorical value must already be one of the values; a fixed param always gets
 * its value. Throws ConfigError for values that cannot be repaired (wrong type, NaN, unknown
 * category).
 */
export function clampParam(spec: ParamSpec, value: unknown, name = 'value'): HparamValue {
  switch (spec.type) {
    case 'uniform':
    case 'loguniform':
    case 'int':
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new ConfigError(`${name}: expected a number, got ${show(value)}`);
      }
      return clampNumeric(spec, value);
    case 'categorical':
      if (!spec.values.includes(value as HparamValue)) {
        throw new ConfigError(`${name}: ${show(value)} is not one of ${describeSpec(spec)}`);
      }
      return value as HparamValue;
    case 'fixed':
      return spec.value;
  }
}

/** Clamp a number into a numeric spec's bounds; ints are rounded first. */
export function clampNumeric(spec: NumericSpec, value: number): number {
  const v = spec.type === 'int' ? Math.round(value) : value;
  return Math.min(spec.max, Math.max(spec.min, v));
}

// ---------------------------------------------------------------------------------------------
// Grids

/**
 * `count` grid values for one param: the midpoints of `count` equal cells of the range (linear
 * for uniform/int, geometric for log params), so a single point is the (geometric) midpoint and
 * no point is spent on a bound, where the optimum rarely is (2 points over [1e-5, 1e-2]: 5.6e-5
 * and 1.8e-3, not 1e-5 and 1e-2). Ints give
 * min(count, number of integers) distinct values. Categorical: all values when count covers
 * them, else `count` evenly spaced ones. Fixed: its value.
 */
export function gridValues(spec: ParamSpec, count: number): HparamValue[] {
  requireCount(count, 'grid count');
  switch (spec.type) {
    case 'fixed':
      return [spec.value];
    case 'categorical':
      return spacedIndices(spec.values.length, count).map((i) => itemAt(spec.values, i));
    case 'uniform':
      return spaced(spec.min, spec.max, count, false).map((v) => clampNumeric(spec, v));
    case 'loguniform':
      return spaced(spec.min, spec.max, count, true).map((v) => clampNumeric(spec, v));
    case 'int':
      return distinctInts(
        spaced(spec.min, spec.max, Math.min(count, spec.max - spec.min + 1), spec.log === true),
        spec.min,
        spec.max,
      );
  }
}

function spaced(min: number, max: number, count: number, log: boolean): number[] {
  const [lo, hi] = log ? [Math.log(min), Math.log(max)] : [min, max];
  const at = (t: number): number => (log ? Math.exp(lo + (hi - lo) * t) : lo + (hi - lo) * t);
  return Array.from({ length: count }, (_, i) => at((i + 0.5) / count));
}

function spacedIndices(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count === 1) return [Math.floor((n - 1) / 2)];
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1)));
}

// Geometric points collide after rounding near the low end; push them apart so a grid of
// c <= (max - min + 1) points has exactly c distinct integers.
function distinctInts(points: readonly number[], min: number, max: number): number[] {
  const out = points.map((p) => Math.min(max, Math.max(min, Math.round(p))));
  for (let i = 1; i < out.length; i++) out[i] = Math.max(itemAt(out, i), itemAt(out, i - 1) + 1);
  for (let i = out.length - 1; i >= 0; i--) {
    const cap = i === out.length - 1 ? max : itemAt(out, i + 1) - 1;
    out[i] = Math.min(itemAt(out, i), cap);
  }
  return out;
}

/**
 * The cartesian product of per-param grids, first param varying slowest. `pointsPerParam` is
 * either one count for every numeric param (categorical params then use all their values) or a
 * count per param name (categorical/fixed params may be omitted: all values / the value).
 */
export function gridPoints(
  space: SearchSpace,
  pointsPerParam: number | Readonly<Record<string, number>>,
): Hparams[] {
  let points: Record<string, HparamValue>[] = [{}];
  for (const [name, spec] of Object.entries(space)) {
    const values = gridValues(spec, countFor(name, spec, pointsPerParam));
    points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

function countFor(
  name: string,
  spec: ParamSpec,
  pointsPerParam: number | Readonly<Record<string, number>>,
): number {
  if (spec.type === 'fixed') return 1;
  const all = spec.type === 'categorical' ? spec.values.length : undefined;
  if (typeof pointsPerParam === 'number') return all ?? pointsPerParam;
  const count = Object.hasOwn(pointsPerParam, name) ? pointsPerParam[name] : all;
  if (count === undefined) {
    throw new ConfigError(`grid: no point count given for ${name}; give one per numeric param`);
  }
  return count;
}

/**
 * Per-param point counts for a grid of at most `population` points.
 *
 * Rule: start with one point per non-fixed param, then go round the params in declared order,
 * giving each one more point while the product of the counts stays <= population and the param
 * has more distinct values (categorical = its values, int = its integers, continuous =
 * unbounded); stop when a full round adds nothing. With d continuous params this is the largest
 * k with k^d <= population, plus one more point for the first params while room is left: 6
 * members over 3 params give 3 x 2 x 1, not a single point, so the grid spends the same tuning
 * effort as the other methods.
 */
export function gridCounts(space: SearchSpace, population: number): Record<string, number> {
  requireCount(population, 'population');
  const specs = Object.entries(space).filter(([, spec]) => spec.type !== 'fixed');
  const caps = specs.map(([, spec]) => distinctValues(spec));
  const counts = specs.map(() => 1);
  let size = 1;
  for (let grew = true; grew;) {
    grew = false;
    counts.forEach((count, i) => {
      const grown = (size / count) * (count + 1);
      if (count < itemAt(caps, i) && grown <= population) {
        counts[i] = count + 1;
        size = grown;
        grew = true;
      }
    });
  }
  return Object.fromEntries(specs.map(([name], i) => [name, itemAt(counts, i)]));
}

/** The grid for a population of `population` members; see `gridCounts` for how big it is. */
export function gridForPopulation(space: SearchSpace, population: number): Hparams[] {
  return gridPoints(space, gridCounts(space, population));
}

function distinctValues(spec: ParamSpec): number {
  switch (spec.type) {
    case 'uniform':
    case 'loguniform':
      return Infinity;
    case 'int':
      return spec.max - spec.min + 1;
    case 'categorical':
      return spec.values.length;
    case 'fixed':
      return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function requireCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(`${what} must be a positive integer (got ${show(n)})`);
  }
}

function itemAt<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new RangeError(`index ${i} outside 0..${items.length - 1}`);
  return item;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isValue(v: unknown): v is HparamValue {
  return typeof v === 'string' || isFiniteNumber(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}
