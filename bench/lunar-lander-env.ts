/**
 * LunarLander env speed: single-threaded env steps per second without rendering, for a
 * uniformly random policy and the built-in heuristic. Median of several timed runs after a
 * warm-up run. Run: node --import tsx bench/lunar-lander-env.ts [--runs 5] [--episodes 40]
 * Writes results/bench/lunar-lander-env.json.
 * With --planck-joint-solver the leg joints run planck's own RevoluteJoint velocity and
 * position solvers (the code path before LegJoint; same trajectories, but they allocate) for
 * a before/after comparison, written to results/bench/lunar-lander-env-planck-joint.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RevoluteJoint } from 'planck';
import { createRng } from '../src/engine/core/rng.js';
import type { LunarLanderAction } from '../src/workloads/lunar-lander/env/constants.js';
import { heuristicAction } from '../src/workloads/lunar-lander/env/heuristic.js';
import { LegJoint } from '../src/workloads/lunar-lander/env/leg-joint.js';
import {
  LunarLander,
  type LunarLanderObservation,
} from '../src/workloads/lunar-lander/env/lunar-lander.js';

type Policy = (obs: LunarLanderObservation) => LunarLanderAction;

interface RunResult {
  steps: number;
  resets: number;
  /** Wall-clock time, resets included. */
  seconds: number;
  stepsPerSecond: number;
  /** Process CPU time (user + system); less sensitive than wall time to other load. */
  cpuSeconds: number;
  stepsPerCpuSecond: number;
  meanReturn: number;
}

const TARGET_STEPS_PER_SECOND = 20_000;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}

/** Runs `episodes` full episodes (seeds firstSeed..) and times everything, resets included. */
function timeRun(makePolicy: () => Policy, episodes: number, firstSeed: number): RunResult {
  const env = new LunarLander();
  const policy = makePolicy();
  let steps = 0;
  let returns = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let e = 0; e < episodes; e++) {
    let obs = env.reset(firstSeed + e);
    for (;;) {
      const r = env.step(policy(obs));
      steps++;
      returns += r.reward;
      obs = r.observation;
      if (r.terminated || r.truncated) break;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    steps,
    resets: episodes,
    seconds,
    stepsPerSecond: steps / seconds,
    cpuSeconds,
    stepsPerCpuSecond: steps / cpuSeconds,
    meanReturn: returns / episodes,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

const planckJointSolver = process.argv.includes('--planck-joint-solver');
if (planckJointSolver) {
  // Read without binding: they become LegJoint's methods again.
  const planck = RevoluteJoint.prototype;
  LegJoint.prototype.solveVelocityConstraints = Reflect.get<
    RevoluteJoint,
    'solveVelocityConstraints'
  >(planck, 'solveVelocityConstraints');
  LegJoint.prototype.solvePositionConstraints = Reflect.get<
    RevoluteJoint,
    'solvePositionConstraints'
  >(planck, 'solvePositionConstraints');
}
const runs = argValue('--runs', 7);
const episodes = argValue('--episodes', 40);
const policies: Record<string, () => Policy> = {
  random: () => {
    const rng = createRng('bench-random-policy');
    return () => rng.int(4) as LunarLanderAction;
  },
  heuristic: () => heuristicAction,
};

const loadBefore = loadavg();
const results: Record<
  string,
  {
    medianStepsPerSecond: number;
    medianStepsPerCpuSecond: number;
    /** Fastest run: the best estimate of the uncontended speed on a shared machine. */
    bestStepsPerSecond: number;
    runs: RunResult[];
  }
> = {};
for (const [name, make] of Object.entries(policies)) {
  timeRun(make, Math.max(5, Math.floor(episodes / 4)), 10_000); // warm-up (JIT)
  const rs: RunResult[] = [];
  // Every run replays the same seeds, so runs differ only in timing.
  for (let r = 0; r < runs; r++) rs.push(timeRun(make, episodes, 0));
  const med = Math.round(median(rs.map((r) => r.stepsPerSecond)));
  const medCpu = Math.round(median(rs.map((r) => r.stepsPerCpuSecond)));
  const best = Math.round(Math.max(...rs.map((r) => r.stepsPerSecond)));
  results[name] = {
    medianStepsPerSecond: med,
    medianStepsPerCpuSecond: medCpu,
    bestStepsPerSecond: best,
    runs: rs,
  };
  console.log(
    `${name.padEnd(9)} median ${med} steps/s wall (best ${best}), ${medCpu} steps per CPU-second; ` +
      `${runs} runs of ${episodes} episodes, ${rs[0]?.steps ?? 0} steps/run ` +
      `(wall: ${rs.map((r) => Math.round(r.stepsPerSecond)).join(', ')})`,
  );
}
const loadAfter = loadavg();
const report = {
  bench: 'lunar-lander-env',
  command: `node --import tsx bench/lunar-lander-env.ts${planckJointSolver ? ' --planck-joint-solver' : ''}`,
  legJointSolvers: planckJointSolver ? 'planck RevoluteJoint' : 'LegJoint',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpuCount: cpus().length,
  loadAverage: { before: loadBefore, after: loadAfter },
  targetStepsPerSecond: TARGET_STEPS_PER_SECOND,
  episodesPerRun: episodes,
  results,
};
const out = planckJointSolver
  ? 'results/bench/lunar-lander-env-planck-joint.json'
  : 'results/bench/lunar-lander-env.json';
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
);
console.log(`wrote ${out}`);
