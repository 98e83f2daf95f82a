import type { LunarLanderAction } from './constants.js';
import type { Terrain } from './terrain.js';
import type {
  LanderPose,
  LunarLander,
  LunarLanderObservation,
  LunarLanderOutcome,
} from './lunar-lander.js';

/** A policy maps an observation to a discrete action. */
export type LunarLanderPolicy = (observation: LunarLanderObservation) => LunarLanderAction;

/** One played episode with the poses needed to draw it. */
export interface EpisodeRecording {
  readonly seed: number;
  readonly terrain: Terrain;
  /** Pose after reset, then after every step (length = steps + 1). */
  readonly frames: readonly LanderPose[];
  readonly actions: readonly LunarLanderAction[];
  readonly rewards: readonly number[];
  readonly totalReward: number;
  readonly outcome: LunarLanderOutcome;
}

/** Plays one episode of `policy` from `seed` on `env` and records every frame. */
export function recordEpisode(
  env: LunarLander,
  policy: LunarLanderPolicy,
  seed: number,
): EpisodeRecording {
  let observation = env.reset(seed);
  const terrain = env.terrain;
  const frames: LanderPose[] = [env.pose()];
  const actions: LunarLanderAction[] = [];
  const rewards: number[] = [];
  let totalReward = 0;
  for (;;) {
    const action = policy(observation);
    const r = env.step(action);
    actions.push(action);
    rewards.push(r.reward);
    totalReward += r.reward;
    frames.push(env.pose());
    observation = r.observation;
    if (r.terminated || r.truncated) {
      return { seed, terrain, frames, actions, rewards, totalReward, outcome: r.info.outcome };
    }
  }
}
