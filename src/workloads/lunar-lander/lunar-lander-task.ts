import { z } from 'zod';
import {
  createAgent,
  greedyAction,
  loadAgent,
  saveAgent,
  trainEpisode,
  type DdsAgent,
  type DdsConfig,
  type DdsHparams,
} from './agent/deep-double-sarsa.js';
import { ConfigError } from '../../engine/core/errors.js';
import { createRng, hashSeed } from '../../engine/core/rng.js';
import type { SearchSpace } from '../../engine/core/space-types.js';
import type { Hparams, Metrics } from '../../engine/core/types.js';
import type { LunarLanderAction } from './env/constants.js';
import { evaluatePolicy, type PolicyEvaluation } from './env/evaluate-policy.js';
import { LunarLander } from './env/lunar-lander.js';
import type { LunarLanderPolicy } from './env/record-episode.js';
import { parseTaskOptions } from '../../engine/tasks/task-options.js';
import type { Task, TaskDefinition } from '../../engine/tasks/task.js';

const optionsSchema = z.strictObject({
  /** Hidden layer widths of both Q-networks. */
  hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
  loss: z.enum(['huber', 'mse']).default('huber'),
  /** Greedy (ε = 0), no-update episodes per evaluation; their mean return is the score. */
  evalEpisodes: z.number().int().positive().default(10),
  /** Held-out episodes of `evaluateCheckpoint(…, 'test')` (`pbt best --evaluate test`). */
  testEpisodes: z.number().int().positive().default(100),
  epsilonStart: z.number().min(0).max(1).default(1),
  epsilonMin: z.number().min(0).max(1).default(0.1),
  maxEpisodeSteps: z.number().int().positive().default(1000),
  /** Accepted because `pbt run --backend` passes it to every task; this agent is plain TypeScript. */
  backend: z.string().optional(),
});

export type LunarLanderTaskOptions = z.output<typeof optionsSchema>;

/**
 * Search space (bounds documented in docs/lunar-lander-agent.md). Log scales where the useful
 * values span decades; γ is uniform on a narrow band, explored with small additive noise.
 */
export const LUNAR_LANDER_SPACE: SearchSpace = {
  learningRate: { type: 'loguniform', min: 5e-5, max: 3e-3 },
  gamma: { type: 'uniform', min: 0.95, max: 0.999 },
  targetPeriod: { type: 'int', min: 100, max: 10_000, log: true },
  epsilonDecay: { type: 'loguniform', min: 1e-3, max: 5e-2 },
};

/** The single-agent baseline's hyperparameters: common DQN-on-LunarLander choices. */
export const LUNAR_LANDER_FIXED_HPARAMS = {
  learningRate: 5e-4,
  gamma: 0.99,
  targetPeriod: 1000,
  epsilonDecay: 0.01,
} as const;

/** One member: the agent plus an environment and the training returns since the last evaluation. */
export interface LunarLanderState {
  agent: DdsAgent;
  readonly env: LunarLander;
  trainReturnSum: number;
  trainEpisodesSinceEval: number;
}

export function ddsHparams(h: Hparams): DdsHparams {
  const num = (key: keyof DdsHparams): number => {
    const v = Number(h[key]);
    if (!Number.isFinite(v)) {
      throw new ConfigError(
        `lunar-lander: hyperparameter "${key}" must be a number, got ${String(h[key])}`,
      );
    }
    return v;
  };
  return {
    learningRate: num('learningRate'),
    gamma: num('gamma'),
    targetPeriod: num('targetPeriod'),
    epsilonDecay: num('epsilonDecay'),
  };
}

/** The greedy policy of an agent (ε = 0, no updates). */
export const agentPolicy =
  (agent: DdsAgent): LunarLanderPolicy =>
  (observation) =>
    greedyAction(agent, observation) as LunarLanderAction;

/** First seed of the evaluation episodes at member step `step`: the same for every member. */
export const evaluationSeed = (step: number): number => hashSeed('lunar-lander-eval', step) >>> 1;

/** Seeds of a held-out test (e.g. the final 100 episodes): disjoint from training and evaluation draws. */
export const TEST_FIRST_SEED = 2 ** 32;

export function evaluateAgent(
  agent: DdsAgent,
  episodes: number,
  firstSeed: number,
  maxEpisodeSteps = 1000,
): PolicyEvaluation {
  return evaluatePolicy(agentPolicy(agent), { episodes, firstSeed, maxEpisodeSteps });
}

/**
 * LunarLander-v2 with a Deep Double Sarsa agent. One task step is one training episode, so
 * budgets and ready points count episodes (the report: 2,000 episodes, evaluation every 40).
 */
export function createLunarLanderTask(options: LunarLanderTaskOptions): Task<LunarLanderState> {
  if (options.epsilonMin > options.epsilonStart) {
    throw new ConfigError(
      `invalid options for task "lunar-lander": epsilonMin (${options.epsilonMin}) must not exceed epsilonStart (${options.epsilonStart})`,
    );
  }
  const config: DdsConfig = {
    sizes: [8, ...options.hidden, 4],
    loss: options.loss,
    epsilonStart: options.epsilonStart,
    epsilonMin: options.epsilonMin,
  };
  const newEnv = (): LunarLander => new LunarLander({ maxEpisodeSteps: options.maxEpisodeSteps });
  const wrap = (agent: DdsAgent): LunarLanderState => ({
    agent,
    env: newEnv(),
    trainReturnSum: 0,
    trainEpisodesSinceEval: 0,
  });
  return {
    name: 'lunar-lander',
    space: LUNAR_LANDER_SPACE,
    create: (_h, ctx) => Promise.resolve(wrap(createAgent(config, createRng(ctx.seed, 'init')))),
    train: (state, h, steps, ctx) => {
      const hp = ddsHparams(h);
      for (let i = 0; i < steps; i++) {
        // Keyed by the member's own step, so chunking of a segment does not change the episodes.
        const seed = hashSeed(ctx.seed, 'episode', ctx.step + i);
        const stats = trainEpisode(state.agent, state.env, hp, seed, createRng(seed, 'explore'));
        state.trainReturnSum += stats.return;
        state.trainEpisodesSinceEval += 1;
      }
      return Promise.resolve();
    },
    evaluate: (state, ctx) => {
      const ev = evaluateAgent(
        state.agent,
        options.evalEpisodes,
        evaluationSeed(ctx.step),
        options.maxEpisodeSteps,
      );
      const metrics: Record<string, number> = {
        score: ev.mean,
        meanEpisodeSteps: ev.meanSteps,
        landingRate: (ev.outcomes['at-rest'] ?? 0) / ev.episodes,
        solvedRate: ev.fractionAtLeast200,
        epsilon: state.agent.epsilon,
        modelEpisodes: state.agent.episodes,
      };
      if (state.trainEpisodesSinceEval > 0) {
        metrics.trainReturn = state.trainReturnSum / state.trainEpisodesSinceEval;
      }
      state.trainReturnSum = 0;
      state.trainEpisodesSinceEval = 0;
      return Promise.resolve(metrics as Metrics);
    },
    save: (state) => Promise.resolve(saveAgent(state.agent)),
    load: (bytes) => Promise.resolve(wrap(loadAgent(bytes))),
    // Held-out episodes: seeds from TEST_FIRST_SEED on, never drawn in training or evaluation.
    splits: ['test'],
    evaluateCheckpoint: (bytes) => {
      const ev = evaluateAgent(
        loadAgent(bytes),
        options.testEpisodes,
        TEST_FIRST_SEED,
        options.maxEpisodeSteps,
      );
      return Promise.resolve({
        score: ev.mean,
        std: ev.std,
        episodes: ev.episodes,
        meanEpisodeSteps: ev.meanSteps,
        landingRate: (ev.outcomes['at-rest'] ?? 0) / ev.episodes,
        solvedRate: ev.fractionAtLeast200,
      });
    },
  };
}

export const lunarLanderTaskDefinition: TaskDefinition<LunarLanderTaskOptions> = {
  name: 'lunar-lander',
  description:
    'LunarLander-v2 with a Deep Double Sarsa agent (report section 4.4); one step = one training episode',
  defaults: {
    population: 20,
    budget: { steps: 2000 },
    ready: { every: 40 },
    // The report: the 4 worst of 20 are replaced by a random one of the 4 best. As a fraction
    // (k = round(0.2·n) = 4 at n = 20, the same rule as bottom: 4, top: 4) it also fits other
    // population sizes, including the single-agent baseline (counts of 4 + 4 > 1 are rejected).
    exploit: { kind: 'truncation', fraction: 0.2 },
    // The paper's "perturb" explore for RL: ×0.8/×1.2 moves for lr, target period and ε decay
    // (log scale), no resampling (a resampled learning rate would often wreck the copied agent);
    // γ gets small additive noise instead (×1.2 would push 0.99 past its bound at once).
    explore: {
      perturbFactors: [0.8, 1.2],
      resampleProbability: 0,
      noise: { sigma: 0.005, params: ['gamma'] },
    },
    fixed: { ...LUNAR_LANDER_FIXED_HPARAMS },
  },
  parseOptions: (raw) => parseTaskOptions(optionsSchema, raw, 'lunar-lander'),
  create: (options) => createLunarLanderTask(options),
};
