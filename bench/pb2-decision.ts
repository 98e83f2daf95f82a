/**
 * Latency PB2 adds to a ready point: the time of one `decide` that exploits with explore kind
 * 'pb2' (GP fit over the kernel grid, pending conditioning, UCB over the candidates) against the
 * same decision with the default perturb explore, for several amounts of fitted data.
 *
 *   node --import tsx bench/pb2-decision.ts [--decisions 50] [--points 50,250,1000]
 *
 * Writes results/selection/pb2-decision.json (p50/p99 in ms per setting, with the load average).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createRng } from '../src/engine/core/rng.js';
import type { SearchSpace } from '../src/engine/core/space-types.js';
import type { MemberHistory, MemberView, PopulationHistory } from '../src/engine/core/types.js';
import { decide, type DecideConfig } from '../src/engine/strategies/decide.js';

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '50' },
    points: { type: 'string', default: '50,250,1000' },
    population: { type: 'string', default: '10' },
    out: { type: 'string', default: 'results/selection/pb2-decision.json' },
  },
});
const decisions = Number(values.decisions);
const populationSize = Number(values.population);

const space: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-5, max: 1 },
  momentum: { type: 'uniform', min: 0, max: 0.99 },
  batch: { type: 'int', min: 16, max: 256, log: true },
};

/** A population whose members each have `perMember` evaluations 100 steps apart. */
function setting(totalPoints: number): { population: MemberView[]; history: PopulationHistory } {
  const rng = createRng('bench-pb2', totalPoints);
  const perMember = Math.ceil(totalPoints / populationSize) + 1;
  const history = new Map<number, MemberHistory>();
  const population: MemberView[] = [];
  for (let id = 0; id < populationSize; id++) {
    const hparams = { lr: 10 ** (-5 + 5 * rng.next()), momentum: rng.next() * 0.99, batch: 64 };
    let score = 0;
    const points = [];
    for (let i = 1; i <= perMember; i++) {
      score += rng.next();
      points.push({ step: 100 * i, score, hparams });
    }
    history.set(id, { points, exploitSteps: [] });
    population.push({
      id,
      step: 100 * perMember,
      score: id === 0 ? -1 : score,
      lastFailed: false,
      hparams,
      checkpoint: `c${id}`,
      status: 'running',
    });
  }
  return { population, history };
}

function time(cfg: DecideConfig, totalPoints: number): { p50: number; p99: number } {
  const { population, history } = setting(totalPoints);
  const self = population[0];
  if (self === undefined) throw new Error('empty population');
  const ms: number[] = [];
  for (let i = 0; i < decisions + 3; i++) {
    const t0 = performance.now();
    const d = decide(self, population, cfg, space, createRng('d', i), history);
    const dt = performance.now() - t0;
    if (d.kind !== 'exploit') throw new Error('the benchmark decision must exploit');
    if (i >= 3) ms.push(dt); // first calls warm up the JIT
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99) };
}

const rows = [];
for (const points of values.points.split(',').map(Number)) {
  const perturb = time({ exploit: { kind: 'truncation' }, explore: {} }, points);
  const pb2 = time(
    { exploit: { kind: 'truncation' }, explore: { kind: 'pb2', pb2: { maxPoints: points } } },
    points,
  );
  const row = {
    points,
    perturbP50Ms: perturb.p50,
    perturbP99Ms: perturb.p99,
    pb2P50Ms: pb2.p50,
    pb2P99Ms: pb2.p99,
  };
  rows.push(row);
  console.log(
    `${points} points: perturb p50 ${perturb.p50.toFixed(2)} ms p99 ${perturb.p99.toFixed(2)} ms; ` +
      `pb2 p50 ${pb2.p50.toFixed(1)} ms p99 ${pb2.p99.toFixed(1)} ms`,
  );
}
mkdirSync('results/selection', { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      command: `node --import tsx bench/pb2-decision.ts --decisions ${decisions} --points ${values.points}`,
      population: populationSize,
      decisions,
      cpus: cpus().length,
      loadavg: loadavg(),
      rows,
    },
    null,
    2,
  ) + '\n',
);
