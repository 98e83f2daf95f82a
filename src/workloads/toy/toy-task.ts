import { z } from 'zod';
import { parseTaskOptions } from '../../engine/tasks/task-options.js';
import type { Task, TaskDefinition } from '../../engine/tasks/task.js';

const toyOptionsSchema = z.strictObject({
  lr: z.number().positive().default(0.01),
  init: z.tuple([z.number(), z.number()]).default([0.9, 0.9]),
  stepMs: z.number().nonnegative().default(0),
  stepWork: z.number().int().nonnegative().default(0),
  stateBytes: z.number().int().nonnegative().default(0),
  backend: z.string().optional(),
});

/**
 * The toy problem of the PBT paper (Jaderberg et al. 2017, figure 2): maximise
 * Q(θ) = 1.2 − (θ0² + θ1²) by gradient ascent on the surrogate Q̂(θ|h) = 1.2 − (h0·θ0² + h1·θ1²).
 * Only a population that changes h over time can drive both coordinates to zero quickly.
 */
export interface ToyState {
  theta: [number, number];
}

export interface ToyOptions {
  /** Gradient-ascent step size. */
  readonly lr: number;
  /** Start of every member, as in the paper. */
  readonly init: readonly [number, number];
  /** Busy-wait per step in ms of wall time (overhead benchmarks, tests); 0 = none. */
  readonly stepMs: number;
  /** Fixed CPU work per step, in loop iterations (scaling benchmarks: same work on any load). */
  readonly stepWork: number;
  /** Padding bytes in each checkpoint (to measure checkpoint cost of a realistic state size). */
  readonly stateBytes: number;
}

export const trueObjective = (theta: readonly [number, number]): number =>
  1.2 - (theta[0] * theta[0] + theta[1] * theta[1]);

export function createToyTask(options: ToyOptions): Task<ToyState> {
  const { lr, init, stepMs, stepWork, stateBytes } = options;
  return {
    name: 'toy',
    space: {
      h0: { type: 'uniform', min: 0, max: 1 },
      h1: { type: 'uniform', min: 0, max: 1 },
    },
    create: () => Promise.resolve({ theta: [init[0], init[1]] }),
    train: (state, h, steps) => {
      const h0 = Number(h.h0);
      const h1 = Number(h.h1);
      for (let i = 0; i < steps; i++) {
        // ∇θ Q̂ = (−2·h0·θ0, −2·h1·θ1)
        state.theta = [
          state.theta[0] - lr * 2 * h0 * state.theta[0],
          state.theta[1] - lr * 2 * h1 * state.theta[1],
        ];
        if (stepMs > 0) busyWait(stepMs);
        if (stepWork > 0) fixedWork(stepWork);
      }
      return Promise.resolve();
    },
    evaluate: (state) =>
      Promise.resolve({
        score: trueObjective(state.theta),
        theta0: state.theta[0],
        theta1: state.theta[1],
      }),
    save: (state) => {
      const bytes = new Uint8Array(16 + stateBytes);
      new DataView(bytes.buffer).setFloat64(0, state.theta[0], true);
      new DataView(bytes.buffer).setFloat64(8, state.theta[1], true);
      // Constant padding stands in for the rest of a real model's weights (θ makes each distinct).
      bytes.fill(7, 16);
      return Promise.resolve(bytes);
    },
    load: (bytes) => Promise.resolve(toyState(bytes)),
    // The toy problem has no data: every split is the true objective Q(θ).
    splits: ['validation', 'test'],
    evaluateCheckpoint: (bytes) => {
      const { theta } = toyState(bytes);
      return Promise.resolve({ score: trueObjective(theta), theta0: theta[0], theta1: theta[1] });
    },
  };
}

function toyState(bytes: Uint8Array): ToyState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { theta: [view.getFloat64(0, true), view.getFloat64(8, true)] };
}

/** CPU-bound busy loop: a stand-in for a training step that really uses the core. */
function busyWait(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

/** A fixed amount of arithmetic, so a step costs the same CPU time whatever else runs. */
function fixedWork(iterations: number): void {
  let x = 0;
  for (let i = 0; i < iterations; i++) x += Math.sqrt(x + i);
  if (x < 0) throw new Error('unreachable');
}

export const toyTaskDefinition: TaskDefinition<ToyOptions> = {
  name: 'toy',
  description:
    "The PBT paper's toy problem: maximise 1.2 − |θ|² through a surrogate tuned by h = (h0, h1)",
  defaults: {
    population: 2,
    budget: { steps: 200 },
    ready: { every: 4 },
    // Generations with a barrier, as the paper's figure: asynchronously, one member can run far
    // ahead while the other waits on a slow worker, and the laggard then copies weights that are
    // many steps ahead with h stuck near a corner (measured with 2 worker processes, seeds 1–10
    // twice: async reached Q ≥ 1.19 in 9 of 15 runs, down to 0.39; sync in 15 of 15; docs/compare.md).
    mode: 'sync',
    exploit: { kind: 'truncation', fraction: 0.5 },
    // Additive noise moves h away from 0 (a multiplicative perturbation cannot); resampling
    // lets a member jump to a distant h (measured in experiments/toy.ts: 10/10 seeds reach
    // Q ≥ 1.19 with it, 4/10 with noise alone).
    explore: { resampleProbability: 0.25, noise: { sigma: 0.1, params: ['h0', 'h1'] } },
    // The fixed baseline: the same constant h for both coordinates.
    fixed: { h0: 0.5, h1: 0.5 },
    initialHparams: [
      { h0: 1, h1: 0 },
      { h0: 0, h1: 1 },
    ],
  },
  parseOptions: (raw) => parseTaskOptions(toyOptionsSchema, raw, 'toy'),
  create: (options) => createToyTask(options),
};
