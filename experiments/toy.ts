/**
 * The PBT paper's toy problem (figure 2), PBT against grid and random search at an equal
 * compute budget, over several seeds. Writes results/toy/summary.json and SVG plots.
 *
 *   node --import tsx experiments/toy.ts [--seeds 10] [--budget 200] [--lr 0.01]
 *
 * Every run goes through the real runtime (store, checkpoints, worker, strategies) in this one
 * process with one worker, so members advance round-robin and "total steps" is exact.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { svgLineChart, type LineSeries } from '../src/engine/report/svg/line-chart.js';
import { MemoryStore } from '../src/engine/store/memory/memory-store.js';
import type { ResultRecord } from '../src/engine/store/store.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    budget: { type: 'string', default: '200' },
    lr: { type: 'string', default: '0.01' },
    out: { type: 'string', default: 'results/toy' },
    explore: { type: 'string' },
  },
});
const SEEDS = Number(values.seeds);
const BUDGET = Number(values.budget);
const LR = Number(values.lr);
const THRESHOLD = 1.19;

/** Every method gets the same total budget (2 × BUDGET steps) unless its name says otherwise. */
const METHODS: Record<string, Record<string, unknown>> = {
  // The paper's setting: two members starting at h = (1, 0) and (0, 1).
  pbt: {
    population: 2,
    budget: { steps: BUDGET },
    ...(values.explore ? { explore: JSON.parse(values.explore) as unknown } : {}),
  },
  // The paper's "grid search" panel: the same two members, never exploiting.
  'grid (paper: h=(1,0),(0,1))': {
    population: 2,
    budget: { steps: BUDGET },
    exploit: { kind: 'none' },
  },
  // A 2×2 grid over [0,1]² (it contains the best constant h = (1, 1)) and random search.
  'grid 2×2': { method: 'grid', population: 4, budget: { steps: BUDGET / 2 } },
  'random search (2 members)': { method: 'random', population: 2, budget: { steps: BUDGET } },
  'random search (4 members)': { method: 'random', population: 4, budget: { steps: BUDGET / 2 } },
  // How much compute the baselines need to reach the threshold at all: twice the budget.
  'grid 2×2, 2× budget': { method: 'grid', population: 4, budget: { steps: BUDGET } },
  'random search (4 members), 2× budget': {
    method: 'random',
    population: 4,
    budget: { steps: BUDGET },
  },
};

interface RunSummary {
  readonly seed: number;
  readonly bestQ: number;
  /** Steps spent by the whole population when a member first reached Q ≥ 1.19; null if never. */
  readonly totalStepsToThreshold: number | null;
  readonly curve: [number, number][];
  readonly thetaPaths: [number, number][][];
}

async function runOnce(overrides: Record<string, unknown>, seed: number): Promise<RunSummary> {
  const prepared = await prepareExperiment(
    {
      task: 'toy',
      taskOptions: { lr: LR },
      seed,
      ready: { every: 4 },
      ...overrides,
    },
    builtInTaskRegistry(),
  );
  const store = new MemoryStore();
  const exp = await createExperiment(store, prepared, 0);
  await runWorker({
    store,
    checkpoints: new FilesystemCheckpointStore(mkdtempSync(path.join(tmpdir(), 'pbt-toy-'))),
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed,
    pollMs: 1,
    clock: () => 0,
  });
  return summarise(seed, await store.listResults(exp.id), exp.populationSize);
}

function summarise(seed: number, results: readonly ResultRecord[], population: number): RunSummary {
  const inOrder = [...results].sort((a, b) => a.id - b.id);
  const lastStep = new Map<number, number>();
  const paths: [number, number][][] = Array.from({ length: population }, () => [[0.9, 0.9]]);
  let total = 0;
  let best = -Infinity;
  let reached: number | null = null;
  const curve: [number, number][] = [];
  for (const r of inOrder) {
    total += r.step - (lastStep.get(r.memberId) ?? 0);
    lastStep.set(r.memberId, r.step);
    const q = r.score ?? -Infinity;
    best = Math.max(best, q);
    curve.push([total, best]);
    if (reached === null && q >= THRESHOLD) reached = total;
    paths[r.memberId]?.push([r.metrics?.theta0 ?? NaN, r.metrics?.theta1 ?? NaN]);
  }
  return { seed, bestQ: best, totalStepsToThreshold: reached, curve, thetaPaths: paths };
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? null) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

const started = performance.now();
const byMethod: Record<string, RunSummary[]> = {};
for (const [name, overrides] of Object.entries(METHODS)) {
  byMethod[name] = [];
  for (let seed = 0; seed < SEEDS; seed++) byMethod[name].push(await runOnce(overrides, seed));
}

const summary = Object.fromEntries(
  Object.entries(byMethod).map(([name, runs]) => {
    const reachedRuns = runs.filter((r) => r.totalStepsToThreshold !== null);
    return [
      name,
      {
        runs: runs.length,
        reachedThreshold: reachedRuns.length,
        medianTotalStepsToThreshold: median(reachedRuns.map((r) => r.totalStepsToThreshold ?? 0)),
        medianBestQ: median(runs.map((r) => r.bestQ)),
        bestQPerSeed: runs.map((r) => Number(r.bestQ.toFixed(5))),
        totalStepsToThresholdPerSeed: runs.map((r) => r.totalStepsToThreshold),
      },
    ];
  }),
);

const outDir = values.out;
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, 'summary.json'),
  JSON.stringify(
    {
      command: `node --import tsx experiments/toy.ts --seeds ${SEEDS} --budget ${BUDGET} --lr ${LR}`,
      problem:
        'maximise Q(θ)=1.2−(θ0²+θ1²) by gradient ascent on Q̂(θ|h)=1.2−(h0·θ0²+h1·θ1²), θ starts at (0.9, 0.9)',
      threshold: THRESHOLD,
      totalBudgetSteps: 2 * BUDGET,
      readyEverySteps: 4,
      lr: LR,
      methods: summary,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    },
    null,
    2,
  ) + '\n',
);

// Figure-2 style: θ trajectories of PBT and of the paper's grid search (seed 0), over Q contours.
const contour = (q: number): LineSeries => {
  const r = Math.sqrt(1.2 - q);
  return {
    name: `Q=${q}`,
    points: Array.from(
      { length: 33 },
      (_, i) =>
        [r * Math.cos((i / 32) * Math.PI * 0.5), r * Math.sin((i / 32) * Math.PI * 0.5)] as [
          number,
          number,
        ],
    ),
    color: '#c8c8c8',
    dashed: true,
    width: 1,
  };
};
const contours = [0.0, 0.6, 1.0, 1.19].map(contour);
for (const [file, name] of [
  ['theta-pbt.svg', 'pbt'],
  ['theta-grid.svg', 'grid (paper: h=(1,0),(0,1))'],
] as const) {
  const run = byMethod[name]?.[0];
  if (!run) continue;
  writeFileSync(
    path.join(outDir, file),
    svgLineChart({
      title: `${name === 'pbt' ? 'PBT' : 'Grid search'}: θ trajectories (seed 0)`,
      xLabel: 'θ0',
      yLabel: 'θ1',
      width: 460,
      height: 420,
      series: [
        ...contours,
        ...run.thetaPaths.map((p, i) => ({ name: `member ${i}`, points: p, dots: true })),
      ],
    }),
  );
}
writeFileSync(
  path.join(outDir, 'best-q-vs-total-steps.svg'),
  svgLineChart({
    title: `Best Q so far vs total steps (seed 0, equal budget ${2 * BUDGET} steps)`,
    xLabel: 'total steps across the population',
    yLabel: 'best Q so far',
    series: [
      ...Object.entries(byMethod)
        .filter(([name]) => !name.includes('2× budget'))
        .map(([name, runs]): LineSeries => ({
          name,
          points: (runs[0]?.curve ?? []).map(([x, y]) => [x, Math.max(y, 0)] as const),
        })),
      // The threshold as a dashed line across the whole budget.
      {
        name: `Q = ${THRESHOLD}`,
        points: [
          [0, THRESHOLD],
          [2 * BUDGET, THRESHOLD],
        ],
        dashed: true,
        color: '#999999',
      },
    ],
  }),
);
console.log(JSON.stringify(summary, null, 2));
