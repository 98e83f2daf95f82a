import { z } from 'zod';
import type { Task, TaskDefinition } from '../../src/engine/tasks/task.js';
import { parseTaskOptions } from '../../src/engine/tasks/task-options.js';

/**
 * The noisy quadratic model (Zhang et al. 2019; the setting of Wu et al. 2018's short-horizon
 * bias): SGD with learning rate α on L = ½ Σ hᵢ xᵢ² with gradient noise of variance c·hᵢ per
 * coordinate, tracked exactly in expectation: mᵢ = E[xᵢ²] ← (1 − α hᵢ)² mᵢ + α² c hᵢ. A high α
 * makes fast progress on the flat (small hᵢ) directions but leaves a noise floor ∝ α; the best
 * schedule starts high and decays. Greedy selection over short intervals sees the floor drop
 * at once when α is lowered and the slow directions' lost progress only later.
 */
export interface NqmOptions {
  readonly dims: number;
  /** Curvatures from 1 down to this, log-spaced. */
  readonly minCurvature: number;
  /** Gradient-noise scale c. */
  readonly noise: number;
}

export interface NqmState {
  m: number[];
}

export const curvatures = (o: NqmOptions): number[] =>
  Array.from({ length: o.dims }, (_, i) => o.minCurvature ** (i / Math.max(1, o.dims - 1)));

export const nqmLoss = (m: readonly number[], h: readonly number[]): number =>
  0.5 * m.reduce((s, mi, i) => s + (h[i] ?? 0) * mi, 0);

/** One expected SGD step on every coordinate. */
export function nqmStep(m: number[], h: readonly number[], lr: number, c: number): void {
  for (let i = 0; i < m.length; i++) {
    const hi = h[i] ?? 0;
    m[i] = (1 - lr * hi) ** 2 * (m[i] ?? 0) + lr * lr * c * hi;
  }
}

export function createNqmTask(o: NqmOptions): Task<NqmState> {
  const h = curvatures(o);
  return {
    name: 'nqm',
    space: { lr: { type: 'loguniform', min: 1e-3, max: 1.9 } },
    create: () => Promise.resolve({ m: h.map(() => 1) }),
    train: (state, hp, steps) => {
      for (let s = 0; s < steps; s++) nqmStep(state.m, h, Number(hp.lr), o.noise);
      return Promise.resolve();
    },
    // Score: −log10 of the expected loss (maximised); the loss itself is kept as a metric.
    evaluate: (state) => {
      const loss = nqmLoss(state.m, h);
      return Promise.resolve({ score: -Math.log10(loss), loss });
    },
    save: (state) => Promise.resolve(new Uint8Array(Float64Array.from(state.m).buffer)),
    load: (bytes) =>
      Promise.resolve({
        m: [...new Float64Array(bytes.slice().buffer, 0, bytes.byteLength / 8)],
      }),
  };
}

const nqmOptions = z.strictObject({
  dims: z.number().int().positive().default(20),
  minCurvature: z.number().gt(0).max(1).default(1e-3),
  noise: z.number().nonnegative().default(0.1),
});

export const nqmTaskDefinition: TaskDefinition<NqmOptions> = {
  name: 'nqm',
  description: 'noisy quadratic model (expected SGD dynamics), for selection studies',
  defaults: { population: 6, budget: { steps: 1000 }, ready: { every: 20 } },
  parseOptions: (raw) => parseTaskOptions(nqmOptions, raw, 'nqm'),
  create: (options) => createNqmTask(options),
};
