/** Strategies: pure functions of (member, population snapshot, rng). */
export type {
  ExploitConfig,
  ExploreConfig,
  FitnessConfig,
  ReadyConfig,
  SyncMode,
} from './config-types.js';
export {
  decide,
  needsHistory,
  recoveryDonor,
  validateDecideConfig,
  RECOVERY_OPERATION,
  type DecideConfig,
} from './decide.js';
export {
  DEFAULT_TRUNCATION_FRACTION,
  DEFAULT_TTEST_SIGNIFICANCE,
  DEFAULT_TTEST_WINDOW,
  isEligible,
  rankMembers,
  rankScore,
  type Ranking,
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
export {
  currentScores,
  DEFAULT_EMA_ALPHA,
  DEFAULT_FITNESS_WINDOW,
  fitnessOf,
  validateFitnessConfig,
} from './fitness.js';
export { formatValue } from './format-value.js';
export {
  DEFAULT_PB2_KAPPA,
  DEFAULT_PB2_MAX_POINTS,
  pb2Explore,
  pb2Observations,
  type Pb2Context,
  type Pb2Observation,
} from './pb2.js';
export { welchTTest, type WelchResult } from './stats/welch.js';
export { gridSize, initialPopulation, type InitMethod } from './initial-population.js';
export { inBurnIn, secondsReady, segmentSteps, validateReadyConfig } from './ready.js';
