/**
 * A complete user task: linear regression by SGD on synthetic data, tuning the learning rate
 * and momentum. Run it with:
 *
 *   npx pbt run examples/linear-regression-task.ts --population 4 --budget 300 --ready 20
 */
import type { Task } from '../src/index.js';

interface State {
  w: Float64Array;
  velocity: Float64Array;
}

const DIM = 8;
const TRUE_W = Float64Array.from({ length: DIM }, (_, i) => Math.sin(i + 1));

/** A deterministic sample: x from a small LCG, y = w·x. */
function sample(i: number): { x: Float64Array; y: number } {
  const x = Float64Array.from(
    { length: DIM },
    (_, j) => ((i * 7919 + j * 104729) % 1000) / 500 - 1,
  );
  return { x, y: x.reduce((s, xi, j) => s + xi * (TRUE_W[j] ?? 0), 0) };
}

const task: Task<State> = {
  name: 'linear-regression',
  space: {
    lr: { type: 'loguniform', min: 1e-4, max: 1 },
    momentum: { type: 'uniform', min: 0, max: 0.99 },
  },
  create: () => Promise.resolve({ w: new Float64Array(DIM), velocity: new Float64Array(DIM) }),
  train: (state, h, steps, ctx) => {
    const lr = Number(h.lr);
    const momentum = Number(h.momentum);
    for (let s = 0; s < steps; s++) {
      const { x, y } = sample(ctx.rng.int(10_000));
      const err = x.reduce((acc, xi, j) => acc + xi * (state.w[j] ?? 0), 0) - y;
      for (let j = 0; j < DIM; j++) {
        const v = momentum * (state.velocity[j] ?? 0) - lr * err * (x[j] ?? 0);
        state.velocity[j] = v;
        state.w[j] = (state.w[j] ?? 0) + v;
      }
    }
    return Promise.resolve();
  },
  evaluate: (state) => {
    let mse = 0;
    for (let i = 0; i < 200; i++) {
      const { x, y } = sample(100_000 + i);
      const err = x.reduce((acc, xi, j) => acc + xi * (state.w[j] ?? 0), 0) - y;
      mse += (err * err) / 200;
    }
    // Scores are maximised: use the negative error. Non-finite scores (divergence) are
    // handled by pbt: the member is recovered from a healthy one.
    return Promise.resolve({ score: -mse, mse });
  },
  save: (state) => {
    const all = new Float64Array(2 * DIM);
    all.set(state.w, 0);
    all.set(state.velocity, DIM);
    return Promise.resolve(new Uint8Array(all.buffer));
  },
  load: (bytes) => {
    const all = new Float64Array(bytes.slice().buffer);
    return Promise.resolve({ w: all.slice(0, DIM), velocity: all.slice(DIM) });
  },
};

export default task;
