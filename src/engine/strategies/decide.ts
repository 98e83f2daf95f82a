import type { Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Decision, MemberView, PopulationSnapshot } from '../core/types.js';
import type { ExploitConfig, ExploreConfig, ReadyConfig } from './config-types.js';
import { rankMembers, selectDonor, validateExploitConfig } from './exploit.js';
import { explore, validateExploreConfig, type CustomExplore } from './explore.js';
import { inBurnIn, validateReadyConfig } from './ready.js';

export interface DecideConfig {
  readonly exploit: ExploitConfig;
  readonly explore: ExploreConfig;
  readonly ready?: ReadyConfig | undefined;
  readonly custom?: CustomExplore | undefined;
}

/**
 * Check strategy settings once (a worker does so when it starts), so that `decide`, called at
 * every ready point, takes them as they are. Throws ConfigError naming each bad field.
 */
export function validateDecideConfig(cfg: DecideConfig, space: SearchSpace): DecideConfig {
  validateExploitConfig(cfg.exploit);
  validateExploreConfig(cfg.explore, space);
  if (cfg.ready !== undefined) validateReadyConfig(cfg.ready);
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
 */
export function decide(
  self: MemberView,
  population: PopulationSnapshot,
  cfg: DecideConfig,
  space: SearchSpace,
  rng: Rng,
): Decision {
  if (self.lastFailed) {
    if (cfg.exploit.kind === 'none') {
      return {
        kind: 'stop',
        reason: `member ${self.id} failed at step ${self.step}; exploit 'none' (a baseline) does not rescue failed members`,
      };
    }
    const donor = recoveryDonor(self, population, rng);
    return donor === null ? { kind: 'continue' } : exploitFrom(donor, cfg, space, rng, true);
  }
  if (inBurnIn(cfg.ready, self.step)) return { kind: 'continue' };
  const donor = selectDonor(self, population, cfg.exploit, rng);
  return donor === null ? { kind: 'continue' } : exploitFrom(donor, cfg, space, rng, false);
}

/** A uniform choice among the top half (rounded up) of eligible members other than `self`. */
export function recoveryDonor(
  self: MemberView,
  population: PopulationSnapshot,
  rng: Rng,
): MemberView | null {
  const ranked = rankMembers(population.filter((m) => m.id !== self.id));
  if (ranked.length === 0) return null;
  return ranked[rng.int(Math.ceil(ranked.length / 2))] ?? null;
}

function exploitFrom(
  donor: MemberView,
  cfg: DecideConfig,
  space: SearchSpace,
  rng: Rng,
  recovery: boolean,
): Decision {
  const explored = explore(donor.hparams, space, cfg.explore, rng, cfg.custom);
  const operations = recovery ? [RECOVERY_OPERATION, ...explored.operations] : explored.operations;
  return { kind: 'exploit', donor: donor.id, hparams: explored.hparams, operations };
}
