import { LunarLander, type LunarLanderOptions, type LunarLanderOutcome } from './lunar-lander.js';
import type { LunarLanderPolicy } from './record-episode.js';

export interface PolicyEvaluation {
  readonly episodes: number;
  readonly returns: readonly number[];
  readonly mean: number;
  /** Population standard deviation of the returns. */
  readonly std: number;
  /** Fraction of episodes with a return of at least 200 ("solved" level). */
  readonly fractionAtLeast200: number;
  readonly meanSteps: number;
  readonly outcomes: Readonly<Partial<Record<LunarLanderOutcome, number>>>;
}

export interface EvaluateOptions extends LunarLanderOptions {
  readonly episodes: number;
  /** Episode e uses seed firstSeed + e. Default 0. */
  readonly firstSeed?: number;
}

/** Plays `episodes` seeded episodes of `policy` and summarises the returns. */
export function evaluatePolicy(
  policy: LunarLanderPolicy,
  options: EvaluateOptions,
): PolicyEvaluation {
  const env = new LunarLander(
    options.maxEpisodeSteps === undefined ? {} : { maxEpisodeSteps: options.maxEpisodeSteps },
  );
  const firstSeed = options.firstSeed ?? 0;
  const returns: number[] = [];
  const outcomes: Partial<Record<LunarLanderOutcome, number>> = {};
  let steps = 0;
  for (let e = 0; e < options.episodes; e++) {
    let obs = env.reset(firstSeed + e);
    let total = 0;
    for (;;) {
      const r = env.step(policy(obs));
      steps++;
      total += r.reward;
      obs = r.observation;
      if (r.terminated || r.truncated) {
        outcomes[r.info.outcome] = (outcomes[r.info.outcome] ?? 0) + 1;
        break;
      }
    }
    returns.push(total);
  }
  const n = returns.length;
  const mean = n === 0 ? NaN : returns.reduce((a, b) => a + b, 0) / n;
  const std = n === 0 ? NaN : Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return {
    episodes: n,
    returns,
    mean,
    std,
    fractionAtLeast200: n === 0 ? NaN : returns.filter((r) => r >= 200).length / n,
    meanSteps: n === 0 ? NaN : steps / n,
    outcomes,
  };
}
