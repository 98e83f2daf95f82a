/**
 * Cost of one Deep Double Sarsa update (target-network value of (s', a'), forward + backward of
 * Q_behaviour(s, a), one Adam step) on the 8 → 64 → 64 → 4 network, single transition:
 * TensorFlow.js (wasm backend, also cpu) versus the plain TypeScript MLP of src/agents.
 * Also times greedy action selection (one forward pass), needed once per environment step.
 *
 *   node --import tsx bench/dds-update.ts [--updates 2000] [--runs 5]
 *
 * Writes results/bench/dds-update.json. Median of several timed runs after a warm-up run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createAgent,
  DEFAULT_DDS_CONFIG,
  greedyAction,
  sarsaUpdate,
  type DdsHparams,
} from '../src/workloads/lunar-lander/agent/deep-double-sarsa.js';
import { createRng } from '../src/engine/core/rng.js';
import { initBackend, type BackendPreference } from '../src/workloads/tfjs/backend.js';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: 'results/bench/dds-update.json' },
  },
});
const UPDATES = Number(values.updates);
const RUNS = Number(values.runs);
const H: DdsHparams = { learningRate: 5e-4, gamma: 0.99, targetPeriod: 1000, epsilonDecay: 0.01 };

/** Random transitions shaped like LunarLander's (8 floats, 4 actions). */
function transitions(n: number): {
  s: Float64Array[];
  a: number[];
  r: number[];
  s2: Float64Array[];
  a2: number[];
} {
  const rng = createRng('dds-bench');
  const vec = (): Float64Array => Float64Array.from({ length: 8 }, () => rng.normal() * 0.5);
  return {
    s: Array.from({ length: n }, vec),
    a: Array.from({ length: n }, () => rng.int(4)),
    r: Array.from({ length: n }, () => rng.normal() * 3),
    s2: Array.from({ length: n }, vec),
    a2: Array.from({ length: n }, () => rng.int(4)),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

interface Timing {
  readonly updateMicros: number;
  readonly actMicros: number;
  readonly updateRuns: number[];
}

function timePlain(): Timing {
  const agent = createAgent(DEFAULT_DDS_CONFIG, createRng('dds-bench-init'));
  const t = transitions(UPDATES);
  const updateRuns: number[] = [];
  const actRuns: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const t0 = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      sarsaUpdate(agent, H, {
        state: t.s[i] ?? new Float64Array(8),
        action: t.a[i] ?? 0,
        reward: t.r[i] ?? 0,
        nextState: t.s2[i] ?? new Float64Array(8),
        nextAction: t.a2[i] ?? 0,
        terminal: false,
      });
    }
    const t1 = performance.now();
    let sink = 0;
    for (let i = 0; i < UPDATES; i++) sink += greedyAction(agent, t.s[i] ?? new Float64Array(8));
    const t2 = performance.now();
    if (sink < 0) throw new Error('unreachable');
    if (run === 0) continue; // warm-up
    updateRuns.push(((t1 - t0) * 1000) / UPDATES);
    actRuns.push(((t2 - t1) * 1000) / UPDATES);
  }
  return { updateMicros: median(updateRuns), actMicros: median(actRuns), updateRuns };
}

async function timeTfjs(backend: BackendPreference): Promise<Timing & { backend: string }> {
  const { tf, name } = await initBackend(backend);
  const model = (): ReturnType<typeof tf.sequential> =>
    tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 64, activation: 'relu' }),
        tf.layers.dense({ units: 64, activation: 'relu' }),
        tf.layers.dense({ units: 4 }),
      ],
    });
  const behaviour = model();
  const target = model();
  const optimizer = tf.train.adam(H.learningRate);
  const t = transitions(UPDATES);
  const update = (i: number): void => {
    tf.tidy(() => {
      const s2 = tf.tensor2d(Float32Array.from(t.s2[i] ?? []), [1, 8]);
      const qNext =
        (target.predict(s2) as ReturnType<typeof tf.tensor2d>).dataSync()[t.a2[i] ?? 0] ?? 0;
      const y = (t.r[i] ?? 0) + H.gamma * qNext;
      const s = tf.tensor2d(Float32Array.from(t.s[i] ?? []), [1, 8]);
      const mask = tf.oneHot([t.a[i] ?? 0], 4);
      optimizer.minimize(() => {
        const q = tf.sum(tf.mul(behaviour.predict(s) as ReturnType<typeof tf.tensor2d>, mask));
        return tf.losses.huberLoss(tf.scalar(y), q);
      });
    });
  };
  const act = (i: number): number =>
    tf.tidy(() => {
      const q = behaviour.predict(tf.tensor2d(Float32Array.from(t.s[i] ?? []), [1, 8]));
      return (q as ReturnType<typeof tf.tensor2d>).argMax(1).dataSync()[0] ?? 0;
    });
  const n = Math.min(UPDATES, 500); // tfjs is slow: fewer per run
  const updateRuns: number[] = [];
  const actRuns: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) update(i);
    const t1 = performance.now();
    for (let i = 0; i < n; i++) act(i);
    const t2 = performance.now();
    if (run === 0) continue;
    updateRuns.push(((t1 - t0) * 1000) / n);
    actRuns.push(((t2 - t1) * 1000) / n);
  }
  behaviour.dispose();
  target.dispose();
  optimizer.dispose();
  return {
    backend: name,
    updateMicros: median(updateRuns),
    actMicros: median(actRuns),
    updateRuns,
  };
}

const before = loadavg();
const plain = timePlain();
const wasm = await timeTfjs('wasm');
const cpu = await timeTfjs('cpu');
const result = {
  bench: 'dds-update',
  command: `node --import tsx bench/dds-update.ts --updates ${UPDATES} --runs ${RUNS}`,
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpuCount: cpus().length,
  loadAverage: { before, after: loadavg() },
  network: DEFAULT_DDS_CONFIG.sizes,
  microsecondsPerUpdate: {
    plainTypeScript: round(plain.updateMicros),
    tfjsWasm: round(wasm.updateMicros),
    tfjsCpu: round(cpu.updateMicros),
  },
  microsecondsPerGreedyAction: {
    plainTypeScript: round(plain.actMicros),
    tfjsWasm: round(wasm.actMicros),
    tfjsCpu: round(cpu.actMicros),
  },
  speedupOfPlainOverTfjsWasm: round(wasm.updateMicros / plain.updateMicros),
  runs: {
    plainTypeScript: plain.updateRuns.map(round),
    tfjsWasm: wasm.updateRuns.map(round),
    tfjsCpu: cpu.updateRuns.map(round),
  },
};
mkdirSync('results/bench', { recursive: true });
writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
