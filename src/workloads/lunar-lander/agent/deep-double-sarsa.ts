import { PbtError } from '../../../engine/core/errors.js';
import type { Rng } from '../../../engine/core/rng.js';
import { adamStep, createAdam, type AdamState } from './adam.js';
import { Mlp } from './mlp.js';

/**
 * Deep Double Sarsa (Ganger, Duryea & Hu 2016, as used in the PBT report's section 4.4): a
 * behaviour Q-network trained online on every transition, and a target network that copies it
 * every `targetPeriod` updates. The update is on-policy Sarsa with the target network's value:
 *
 *   y = r + γ · Q_target(s', a'),   a' = ε-greedy on Q_behaviour(s')   (y = r when s' is terminal)
 *
 * and one Adam step on the Huber (default) or squared error between Q_behaviour(s, a) and y.
 */

/** The hyperparameters PBT tunes; they may change between any two calls. */
export interface DdsHparams {
  readonly learningRate: number;
  readonly gamma: number;
  /** Updates between two copies of the behaviour network into the target network. */
  readonly targetPeriod: number;
  /** Per-episode decay: ε ← max(εMin, ε · (1 − epsilonDecay)). */
  readonly epsilonDecay: number;
}

/** Fixed settings of an agent (not tuned, kept in its checkpoint). */
export interface DdsConfig {
  /** Layer sizes, input first and number of actions last, e.g. [8, 64, 64, 4]. */
  readonly sizes: readonly number[];
  readonly loss: 'huber' | 'mse';
  readonly epsilonStart: number;
  readonly epsilonMin: number;
}

export const DEFAULT_DDS_CONFIG: DdsConfig = {
  sizes: [8, 64, 64, 4],
  loss: 'huber',
  epsilonStart: 1,
  epsilonMin: 0.1,
};

/** Everything that must survive a checkpoint for training to continue identically. */
export interface DdsAgent {
  readonly config: DdsConfig;
  readonly net: Mlp;
  readonly behaviour: Float64Array;
  readonly target: Float64Array;
  readonly adam: AdamState;
  epsilon: number;
  /** Training episodes finished. */
  episodes: number;
  /** Behaviour-network updates (= training environment steps). */
  updates: number;
  /** Updates since the target network last copied the behaviour network. */
  sinceTargetCopy: number;
  /** Gradient buffer and scratch outputs (not state). */
  readonly grad: Float64Array;
  readonly q: Float64Array;
  readonly dOut: Float64Array;
}

export function createAgent(config: DdsConfig, rng: Rng): DdsAgent {
  const net = new Mlp(config.sizes);
  const behaviour = net.init(rng);
  return assemble(
    config,
    net,
    behaviour,
    Float64Array.from(behaviour),
    createAdam(net.paramCount),
    {
      epsilon: config.epsilonStart,
      episodes: 0,
      updates: 0,
      sinceTargetCopy: 0,
    },
  );
}

function assemble(
  config: DdsConfig,
  net: Mlp,
  behaviour: Float64Array,
  target: Float64Array,
  adam: AdamState,
  counters: Pick<DdsAgent, 'epsilon' | 'episodes' | 'updates' | 'sinceTargetCopy'>,
): DdsAgent {
  return {
    config,
    net,
    behaviour,
    target,
    adam,
    ...counters,
    grad: new Float64Array(net.paramCount),
    q: new Float64Array(net.outputSize),
    dOut: new Float64Array(net.outputSize),
  };
}

/** Index of the largest entry (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

export function greedyAction(agent: DdsAgent, observation: ArrayLike<number>): number {
  return argmax(agent.net.forward(agent.behaviour, observation, agent.q));
}

/** ε-greedy on the behaviour network with the agent's current ε. */
export function epsilonGreedyAction(
  agent: DdsAgent,
  observation: ArrayLike<number>,
  rng: Rng,
): number {
  if (rng.next() < agent.epsilon) return rng.int(agent.net.outputSize);
  return greedyAction(agent, observation);
}

/** One on-policy transition (s, a, r, s', a'); `nextAction` is ignored when `terminal`. */
export interface SarsaTransition {
  readonly state: ArrayLike<number>;
  readonly action: number;
  readonly reward: number;
  readonly nextState: ArrayLike<number>;
  readonly nextAction: number;
  /** True when s' ends the episode for real (crash, rest, off-screen): no bootstrap. */
  readonly terminal: boolean;
}

/** The Sarsa target r + γ·Q_target(s', a') (r alone for a terminal s'). */
export function sarsaTarget(agent: DdsAgent, t: SarsaTransition, gamma: number): number {
  if (t.terminal) return t.reward;
  const next = agent.net.forward(agent.target, t.nextState, agent.q);
  return t.reward + gamma * (next[t.nextAction] ?? 0);
}

/**
 * One update of the behaviour network on one transition, then the target copy when it is due.
 * Returns the TD error Q_behaviour(s, a) − y before the update.
 */
export function sarsaUpdate(agent: DdsAgent, h: DdsHparams, t: SarsaTransition): number {
  const y = sarsaTarget(agent, t, h.gamma);
  const q = agent.net.forward(agent.behaviour, t.state, agent.q);
  const err = (q[t.action] ?? 0) - y;
  // Huber with δ = 1: the gradient of the error is clipped to [−1, 1] (DQN's error clipping),
  // which keeps single ±100 landing/crash rewards from blowing up one online update.
  const g = agent.config.loss === 'huber' ? Math.max(-1, Math.min(1, err)) : err;
  agent.dOut.fill(0);
  agent.dOut[t.action] = g;
  agent.grad.fill(0);
  agent.net.backward(agent.behaviour, agent.dOut, agent.grad);
  adamStep(agent.adam, agent.behaviour, agent.grad, h.learningRate);
  agent.updates += 1;
  agent.sinceTargetCopy += 1;
  if (agent.sinceTargetCopy >= Math.max(1, Math.round(h.targetPeriod))) copyToTarget(agent);
  return err;
}

export function copyToTarget(agent: DdsAgent): void {
  agent.target.set(agent.behaviour);
  agent.sinceTargetCopy = 0;
}

/** ε after one more finished episode. */
export function decayEpsilon(agent: DdsAgent, h: DdsHparams): void {
  agent.epsilon = Math.max(agent.config.epsilonMin, agent.epsilon * (1 - h.epsilonDecay));
}

/** A Gym-like environment with discrete actions, as the agent needs it. */
export interface DiscreteEnv {
  reset(seed: number): ArrayLike<number>;
  step(action: number): {
    readonly observation: ArrayLike<number>;
    readonly reward: number;
    readonly terminated: boolean;
    readonly truncated: boolean;
  };
}

export interface EpisodeStats {
  readonly return: number;
  readonly steps: number;
  /** False when the episode hit the time limit. */
  readonly terminated: boolean;
}

/**
 * One training episode: act ε-greedily, update on every transition, decay ε at the end.
 * `seed` picks the environment's episode, `rng` drives exploration.
 */
export function trainEpisode(
  agent: DdsAgent,
  env: DiscreteEnv,
  h: DdsHparams,
  seed: number,
  rng: Rng,
): EpisodeStats {
  let state = env.reset(seed);
  let action = epsilonGreedyAction(agent, state, rng);
  let total = 0;
  let steps = 0;
  for (;;) {
    const r = env.step(action);
    total += r.reward;
    steps += 1;
    // A time-limit truncation is not a terminal state: the target still bootstraps from s'.
    const nextAction = r.terminated ? 0 : epsilonGreedyAction(agent, r.observation, rng);
    sarsaUpdate(agent, h, {
      state,
      action,
      reward: r.reward,
      nextState: r.observation,
      nextAction,
      terminal: r.terminated,
    });
    if (r.terminated || r.truncated) {
      agent.episodes += 1;
      decayEpsilon(agent, h);
      return { return: total, steps, terminated: r.terminated };
    }
    state = r.observation;
    action = nextAction;
  }
}

// Checkpoint format: magic, version, JSON header length, JSON header, then four Float64 arrays
// (behaviour, target, Adam m, Adam v) of paramCount entries each, 8-byte aligned.
const MAGIC = 0x53444450; // "PDDS"
const VERSION = 1;

interface Header {
  readonly config: DdsConfig;
  readonly paramCount: number;
  readonly adamT: number;
  readonly epsilon: number;
  readonly episodes: number;
  readonly updates: number;
  readonly sinceTargetCopy: number;
}

/** Both networks, the Adam state, ε and the counters, as bytes. */
export function saveAgent(agent: DdsAgent): Uint8Array {
  const header: Header = {
    config: agent.config,
    paramCount: agent.net.paramCount,
    adamT: agent.adam.t,
    epsilon: agent.epsilon,
    episodes: agent.episodes,
    updates: agent.updates,
    sinceTargetCopy: agent.sinceTargetCopy,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = align8(12 + json.length);
  const n = agent.net.paramCount;
  const bytes = new Uint8Array(headerEnd + 4 * n * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  const arrays = [agent.behaviour, agent.target, agent.adam.m, agent.adam.v];
  arrays.forEach((a, k) => new Float64Array(bytes.buffer, headerEnd + k * n * 8, n).set(a));
  return bytes;
}

export function loadAgent(bytes: Uint8Array): DdsAgent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC) {
    throw new PbtError('CHECKPOINT_FORMAT', 'not a Deep Double Sarsa checkpoint (bad magic)');
  }
  const version = view.getUint32(4, true);
  if (version !== VERSION) {
    throw new PbtError(
      'CHECKPOINT_FORMAT',
      `Deep Double Sarsa checkpoint version ${version} is not supported (expected ${VERSION})`,
    );
  }
  const jsonLength = view.getUint32(8, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)),
  ) as Header;
  const net = new Mlp(header.config.sizes);
  const n = net.paramCount;
  const headerEnd = align8(12 + jsonLength);
  if (n !== header.paramCount || bytes.byteLength !== headerEnd + 4 * n * 8) {
    throw new PbtError(
      'CHECKPOINT_FORMAT',
      `Deep Double Sarsa checkpoint is truncated or inconsistent (${bytes.byteLength} bytes for ${n} parameters)`,
    );
  }
  // Copy out of the (possibly unaligned) input into fresh arrays.
  const copy = new Uint8Array(bytes.subarray(headerEnd));
  const part = (k: number): Float64Array => new Float64Array(copy.buffer, k * n * 8, n).slice();
  const adam = createAdam(n);
  adam.m.set(part(2));
  adam.v.set(part(3));
  adam.t = header.adamT;
  return assemble(header.config, net, part(0), part(1), adam, {
    epsilon: header.epsilon,
    episodes: header.episodes,
    updates: header.updates,
    sinceTargetCopy: header.sinceTargetCopy,
  });
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
