/** Strategies: pure functions of (member, population snapshot, rng). */
export type { ExploitConfig, ExploreConfig, ReadyConfig, SyncMode } from './config-types.js';
export {
  decide,
  recoveryDonor,
  validateDecideConfig,
  RECOVERY_OPERATION,
  type DecideConfig,
} from './decide.js';
export {
  DEFAULT_TRUNCATION_FRACTION,
  isEligible,
  rankMembers,
  selectDonor,
  truncationGroups,
  validateExploitConfig,
} from './exploit.js';
export {
  DEFAULT_PERTURB_FACTORS,
  DEFAULT_RESAMPLE_PROBABILITY,
  explore,
  validateExploreConfig,
  type CustomExplore,
  type ExploreResult,
} from './explore.js';
export { formatValue } from './format-value.js';
export { gridSize, initialPopulation, type InitMethod } from './initial-population.js';
export { inBurnIn, secondsReady, segmentSteps, validateReadyConfig } from './ready.js';
