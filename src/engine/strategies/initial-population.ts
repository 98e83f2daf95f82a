import { ConfigError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import {
  gridCounts,
  gridForPopulation,
  sampleHparams,
  validateHparams,
  validateSpace,
} from '../core/space.js';
import type { SearchSpace } from '../core/space-types.js';
import type { HparamValue, Hparams } from '../core/types.js';

/**
 * How the first hyperparameters are chosen: 'random' samples the priors (PBT, as the paper, and
 * the random-search baseline), 'grid' spreads members over a grid (grid-search baseline), 'fixed'
 * gives every member the same hyperparameters (fixed baseline).
 */
export type InitMethod = 'random' | 'grid' | 'fixed';

/**
 * Members a grid over `space` has when at most `population` members are allowed (see
 * gridCounts in core/space.ts for the rule). It may be smaller than `population`: whether to run
 * the smaller grid or size the population to the grid is the caller's choice.
 */
export function gridSize(space: SearchSpace, population: number): number {
  return Object.values(gridCounts(space, population)).reduce((p, c) => p * c, 1);
}

/**
 * Initial hyperparameters, in member id order. 'random' and 'fixed' give exactly `size` members;
 * 'grid' gives `gridSize(space, size)` members (<= size, >= 1), never padding with duplicates.
 * For 'fixed', params of type fixed may be left out of `fixed`; everything else must be given.
 */
export function initialPopulation(
  space: SearchSpace,
  size: number,
  method: InitMethod,
  rng: Rng,
  fixed?: Hparams,
): Hparams[] {
  validateSpace(space);
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigError(`population size must be a positive integer (got ${size})`);
  }
  switch (method) {
    case 'random':
      return Array.from({ length: size }, () => sampleHparams(space, rng));
    case 'grid':
      return gridForPopulation(space, size);
    case 'fixed':
      return Array.from({ length: size }, () => fixedHparams(space, fixed));
  }
}

function fixedHparams(space: SearchSpace, fixed: Hparams | undefined): Hparams {
  if (fixed === undefined) {
    throw new ConfigError(
      `the 'fixed' baseline needs hyperparameters: give a value for each of ${Object.keys(space).join(', ')}`,
    );
  }
  const defaults: Record<string, HparamValue> = {};
  for (const [name, spec] of Object.entries(space)) {
    if (spec.type === 'fixed') defaults[name] = spec.value;
  }
  const h = { ...defaults, ...fixed };
  validateHparams(space, h);
  return h;
}
