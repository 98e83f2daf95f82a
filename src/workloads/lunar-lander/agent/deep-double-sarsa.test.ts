import { describe, expect, it } from 'vitest';
import { createRng } from '../../../engine/core/rng.js';
import {
  createAgent,
  greedyAction,
  loadAgent,
  saveAgent,
  sarsaTarget,
  sarsaUpdate,
  trainEpisode,
  type DdsAgent,
  type DdsConfig,
  type DdsHparams,
  type DiscreteEnv,
} from './deep-double-sarsa.js';

const H: DdsHparams = { learningRate: 0.01, gamma: 0.9, targetPeriod: 3, epsilonDecay: 0.1 };

/** A network whose outputs are its output biases (all weights zero): Q(s) = biases for every s. */
function constantNet(agent: DdsAgent, params: Float64Array, outputs: readonly number[]): void {
  params.fill(0);
  const n = outputs.length;
  outputs.forEach((v, j) => (params[params.length - n + j] = v));
  expect(Array.from(agent.net.forward(params, [0.3, -0.7]))).toEqual(outputs);
}

/**
 * A corridor of `length` cells (one-hot observation). Action 1 moves right, 0 left; reaching
 * the right end pays +1 and ends the episode, every other step costs 0.01; 20-step time limit.
 */
class Corridor implements DiscreteEnv {
  private pos = 0;
  private steps = 0;
  constructor(private readonly length: number) {}
  private obs(): number[] {
    return Array.from({ length: this.length }, (_, i) => (i === this.pos ? 1 : 0));
  }
  reset(seed: number): number[] {
    this.pos = seed % (this.length - 1);
    this.steps = 0;
    return this.obs();
  }
  step(action: number): {
    observation: number[];
    reward: number;
    terminated: boolean;
    truncated: boolean;
  } {
    this.steps += 1;
    this.pos = Math.max(0, Math.min(this.length - 1, this.pos + (action === 1 ? 1 : -1)));
    const terminated = this.pos === this.length - 1;
    return {
      observation: this.obs(),
      reward: terminated ? 1 : -0.01,
      terminated,
      truncated: !terminated && this.steps >= 20,
    };
  }
}

const corridorConfig: DdsConfig = {
  sizes: [6, 16, 2],
  loss: 'huber',
  epsilonStart: 1,
  epsilonMin: 0.1,
};

describe('Sarsa target and update', () => {
  const config: DdsConfig = { sizes: [2, 3, 2], loss: 'huber', epsilonStart: 1, epsilonMin: 0.1 };

  it('is r + γ·Q_target(s′, a′) with a′ as given, from the target network, and r at a terminal', () => {
    const agent = createAgent(config, createRng('target'));
    constantNet(agent, agent.target, [1.5, -2]);
    constantNet(agent, agent.behaviour, [10, 20]); // must not be used for the value of s′
    const t = { state: [0, 1], action: 0, reward: 0.5, nextState: [1, 0], nextAction: 1 };
    expect(sarsaTarget(agent, { ...t, terminal: false }, 0.9)).toBeCloseTo(0.5 + 0.9 * -2, 12);
    expect(sarsaTarget(agent, { ...t, nextAction: 0, terminal: false }, 0.9)).toBeCloseTo(
      0.5 + 0.9 * 1.5,
      12,
    );
    expect(sarsaTarget(agent, { ...t, terminal: true }, 0.9)).toBe(0.5);
  });

  it('moves Q_behaviour(s, a) towards the target and returns the TD error', () => {
    const agent = createAgent(config, createRng('update'));
    constantNet(agent, agent.target, [1, 3]);
    const s = [0.2, 0.4];
    const q0 = agent.net.forward(agent.behaviour, s)[1] ?? 0;
    const t = { state: s, action: 1, reward: 1, nextState: s, nextAction: 1, terminal: false };
    const y = 1 + 0.9 * 3;
    const err = sarsaUpdate(agent, { ...H, targetPeriod: 1000 }, t);
    expect(err).toBeCloseTo(q0 - y, 12);
    const q1 = agent.net.forward(agent.behaviour, s)[1] ?? 0;
    expect(Math.abs(q1 - y)).toBeLessThan(Math.abs(q0 - y));
    expect(agent.updates).toBe(1);
    expect(agent.adam.t).toBe(1);
  });

  it('copies the behaviour network into the target every targetPeriod updates', () => {
    const agent = createAgent(config, createRng('copy'));
    const initialTarget = Array.from(agent.target);
    const t = {
      state: [1, 1],
      action: 0,
      reward: 1,
      nextState: [0, 1],
      nextAction: 1,
      terminal: false,
    };
    sarsaUpdate(agent, H, t);
    sarsaUpdate(agent, H, t);
    expect(Array.from(agent.target)).toEqual(initialTarget);
    expect(Array.from(agent.behaviour)).not.toEqual(initialTarget);
    sarsaUpdate(agent, H, t); // third update: period 3 reached
    expect(Array.from(agent.target)).toEqual(Array.from(agent.behaviour));
    expect(agent.sinceTargetCopy).toBe(0);
    sarsaUpdate(agent, H, t);
    expect(Array.from(agent.target)).not.toEqual(Array.from(agent.behaviour));
    // A period shortened by PBT applies at once: 1 update since the copy, new period 2.
    sarsaUpdate(agent, { ...H, targetPeriod: 2 }, t);
    expect(Array.from(agent.target)).toEqual(Array.from(agent.behaviour));
  });
});

describe('ε schedule', () => {
  it('starts at 1 and decays by (1 − rate) per episode down to the 0.1 floor', () => {
    const agent = createAgent(corridorConfig, createRng('eps'));
    const env = new Corridor(6);
    const rng = createRng('eps-explore');
    expect(agent.epsilon).toBe(1);
    const seen: number[] = [];
    for (let e = 0; e < 30; e++) {
      trainEpisode(agent, env, { ...H, epsilonDecay: 0.2 }, e, rng);
      seen.push(agent.epsilon);
    }
    expect(seen[0]).toBeCloseTo(0.8, 12);
    expect(seen[1]).toBeCloseTo(0.64, 12);
    expect(seen[9]).toBeCloseTo(0.8 ** 10, 12);
    expect(seen[10]).toBeCloseTo(0.1, 12); // 0.8^11 = 0.086 is below the floor
    expect(seen.at(-1)).toBe(0.1);
    expect(agent.episodes).toBe(30);
  });
});

describe('learning', () => {
  it('learns to walk right along a corridor', () => {
    // This seed's untrained network walks left everywhere.
    const agent = createAgent(corridorConfig, createRng('corridor', 9));
    const env = new Corridor(6);
    const rng = createRng('corridor-explore');
    const h: DdsHparams = {
      learningRate: 0.005,
      gamma: 0.95,
      targetPeriod: 50,
      epsilonDecay: 0.03,
    };
    const greedyReturn = (): number => {
      let total = 0;
      for (let start = 0; start < 5; start++) {
        let obs = env.reset(start);
        for (;;) {
          const r = env.step(greedyAction(agent, obs));
          total += r.reward;
          obs = r.observation;
          if (r.terminated || r.truncated) break;
        }
      }
      return total;
    };
    const before = greedyReturn();
    for (let e = 0; e < 300; e++) trainEpisode(agent, env, h, e, rng);
    // Optimal from starts 0..4: 5,4,3,2,1 steps → 5 − 0.01·(4+3+2+1+0).
    expect(greedyReturn()).toBeCloseTo(5 - 0.1, 9);
    expect(before).toBeLessThan(0);
  });
});

describe('checkpoints', () => {
  it('hold both networks, Adam, ε and counters: a restored agent continues identically', () => {
    const env = new Corridor(6);
    const a = createAgent(corridorConfig, createRng('ckpt'));
    for (let e = 0; e < 7; e++) trainEpisode(a, env, H, e, createRng('x', e));
    const bytes = saveAgent(a);
    // An unaligned view of the bytes (as a checkpoint store may hand them back).
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const b = loadAgent(shifted.subarray(3));
    expect(b.epsilon).toBe(a.epsilon);
    expect([b.episodes, b.updates, b.sinceTargetCopy, b.adam.t]).toEqual([
      a.episodes,
      a.updates,
      a.sinceTargetCopy,
      a.adam.t,
    ]);
    for (let e = 7; e < 15; e++) {
      const ra = trainEpisode(a, env, H, e, createRng('x', e));
      const rb = trainEpisode(b, env, H, e, createRng('x', e));
      expect(rb).toEqual(ra);
    }
    expect(Array.from(b.behaviour)).toEqual(Array.from(a.behaviour));
    expect(Array.from(b.target)).toEqual(Array.from(a.target));
    expect(Array.from(b.adam.v)).toEqual(Array.from(a.adam.v));
    expect(saveAgent(b)).toEqual(saveAgent(a));
  });

  it('rejects bytes that are not a checkpoint of this agent', () => {
    expect(() => loadAgent(new Uint8Array(40))).toThrow(/not a Deep Double Sarsa checkpoint/);
    const bytes = saveAgent(createAgent(corridorConfig, createRng('cut')));
    expect(() => loadAgent(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
  });
});
