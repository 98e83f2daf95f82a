import type { Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Decision, MemberView, PopulationHistory, PopulationSnapshot } from '../core/types.js';
import type { ExploitConfig, ExploreConfig, FitnessConfig, ReadyConfig } from './config-types.js';
import { rankMembers, selectDonor, validateExploitConfig, type Ranking } from './exploit.js';
import { explore, validateExploreConfig, type CustomExplore } from './explore.js';
import { validateFitnessConfig } from './fitness.js';
import { pb2Explore, type Pb2Context } from './pb2.js';
import { inBurnIn, validateReadyConfig } from './ready.js';

export interface DecideConfig {
  readonly exploit: ExploitConfig;
  readonly explore: ExploreConfig;
  readonly ready?: ReadyConfig | undefined;
  readonly custom?: CustomExplore | undefined;
  /** What members are ranked by (default: the last score). */
  readonly fitness?: FitnessConfig | undefined;
}

/**
 * True when `decide` needs the population's recent evaluations (`history`), which the worker
 * then reads before the decision; the last-score default does not.
 */
export function needsHistory(cfg: DecideConfig): boolean {
  if (cfg.exploit.kind === 'none') return false; // baselines never rank or explore
  return (
    (cfg.fitness !== undefined && cfg.fitness.kind !== 'last') ||
    cfg.exploit.kind === 'ttest' ||
    cfg.explore.kind === 'pb2'
  );
}

/**
 * Check strategy settings once (a worker does so when it starts), so that `decide`, called at
 * every ready point, takes them as they are. Throws ConfigError naming each bad field.
 */
export function validateDecideConfig(cfg: DecideConfig, space: SearchSpace): DecideConfig {
  validateExploitConfig(cfg.exploit);
  validateExploreConfig(cfg.explore, space);
  if (cfg.ready !== undefined) validateReadyConfig(cfg.ready);
  if (cfg.fitness !== undefined) validateFitnessConfig(cfg.fitness);
  return cfg;
}

export const RECOVERY_OPERATION = 'recovered from a failed ready point';

/**
 * What a member does at a ready point; the single entry point workers call (through
 * Store.applyDecision). Pure: reads the snapshot, draws only from `rng`. `cfg` is taken as
 * validated (validateDecideConfig).
 *
 * 1. Last ready point failed: with exploit kind 'none' (baselines) stop the member (a diverged
 *    baseline member is an honest result); otherwise copy a uniform choice among the top half
 *    (rounded up) of eligible members and explore its hyperparameters; with no eligible member,
 *    continue (retry from the member's own checkpoint).
 * 2. Still in burn-in: continue.
 * 3. Otherwise the exploit rule picks a donor (exploit + explored hyperparameters) or continue.
 *
 * `history` carries recent evaluations for fitness windows, t-test selection and PB2 (see
 * `needsHistory`); without it they fall back to the last score.
 */
export function decide(
  self: MemberView,
  population: PopulationSnapshot,
  cfg: DecideConfig,
  space: SearchSpace,
  rng: Rng,
  history?: PopulationHistory,
): Decision {
  const ranking: Ranking = { fitness: cfg.fitness, history };
  if (self.lastFailed) {
    if (cfg.exploit.kind === 'none') {
      return {
        kind: 'stop',
        reason: `member ${self.id} failed at step ${self.step}; exploit 'none' (a baseline) does not rescue failed members`,
      };
    }
    const donor = recoveryDonor(self, population, rng, ranking);
    return donor === null
      ? { kind: 'continue' }
      : exploitFrom(donor, cfg, space, rng, true, { self, population, history });
  }
  if (inBurnIn(cfg.ready, self.step)) return { kind: 'continue' };
  const donor = selectDonor(self, population, cfg.exploit, rng, ranking);
  return donor === null
    ? { kind: 'continue' }
    : exploitFrom(donor, cfg, space, rng, false, { self, population, history });
}

/** A uniform choice among the top half (rounded up) of eligible members other than `self`. */
export function recoveryDonor(
  self: MemberView,
  population: PopulationSnapshot,
  rng: Rng,
  ranking: Ranking = {},
): MemberView | null {
  const ranked = rankMembers(
    population.filter((m) => m.id !== self.id),
    ranking,
  );
  if (ranked.length === 0) return null;
  return ranked[rng.int(Math.ceil(ranked.length / 2))] ?? null;
}

function exploitFrom(
  donor: MemberView,
  cfg: DecideConfig,
  space: SearchSpace,
  rng: Rng,
  recovery: boolean,
  ctx: Pb2Context,
): Decision {
  // A task's own explore hook wins over the configured kind, as it does over perturb.
  const explored =
    cfg.explore.kind === 'pb2' && cfg.custom === undefined
      ? pb2Explore(donor.hparams, space, cfg.explore, rng, ctx)
      : explore(donor.hparams, space, cfg.explore, rng, cfg.custom);
  const operations = recovery ? [RECOVERY_OPERATION, ...explored.operations] : explored.operations;
  return { kind: 'exploit', donor: donor.id, hparams: explored.hparams, operations };
}
