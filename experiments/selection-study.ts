/**
 * Selection rules on the PBT paper's toy problem, with and without evaluation noise: which
 * fitness (last, mean, EMA, trend), which exploit (truncation, t-test) and which explore
 * (perturb, PB2) still find the optimum when scores lie. Every run goes through the real runtime
 * (memory store, in-memory checkpoints, one in-process worker).
 *
 *   node --import tsx experiments/selection-study.ts [--seeds 20] [--noise 0,0.03,0.1]
 *
 * The noisy variant adds N(0, σ²) to every reported score (θ and the true Q stay exact), so
 * selection sees noise comparable to the gaps between members (≈ 0.1 in the first third of a
 * run, ≈ 0.01 near the end). Final score: the true Q = 1.2 − |θ|² of the population's best
 * member at the end; "optimum": Q ≥ 1.19. Writes results/selection/study.{json,md}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { MemoryStore } from '../src/engine/store/memory/memory-store.js';
import type { Task } from '../src/engine/tasks/task.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { MemoryCheckpointStore } from './lib/memory-checkpoints.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    noise: { type: 'string', default: '0,0.03,0.1' },
    rules: { type: 'string' },
    out: { type: 'string', default: 'results/selection' },
  },
});
const SEEDS = Number(values.seeds);
const NOISE = values.noise.split(',').map(Number);
const THRESHOLD = 1.19;
const POPULATION = 4;
const BUDGET = 200;
const READY = 4;

/** Rule name → config overrides (on the toy task's defaults: truncation 0.5, noise explore). */
const RULES: Record<string, Record<string, unknown>> = {
  'truncation, last (default)': {},
  'truncation, mean k=4': { fitness: { kind: 'mean', window: 4 } },
  'truncation, ema α=0.3': { fitness: { kind: 'ema', alpha: 0.3 } },
  'truncation, trend k=4': { fitness: { kind: 'trend', window: 4 } },
  't-test k=4, p<0.05': { exploit: { kind: 'ttest', window: 4 } },
  'truncation, last, PB2': { explore: { kind: 'pb2', pb2: { maxPoints: 100 } } },
};
const ruleNames = values.rules?.split(';') ?? Object.keys(RULES);

/** The toy task with N(0, sigma²) added to each reported score. */
function noisy(task: Task, sigma: number): Task {
  if (sigma === 0) return task;
  return {
    ...task,
    evaluate: async (state, ctx) => {
      const m = await task.evaluate(state, ctx);
      return { ...m, score: m.score + sigma * ctx.rng.normal() };
    },
  };
}

const trueQ = (t0: number, t1: number): number => 1.2 - (t0 * t0 + t1 * t1);

async function runOnce(
  rule: Record<string, unknown>,
  sigma: number,
  seed: number,
): Promise<number> {
  const prepared = await prepareExperiment(
    {
      task: 'toy',
      seed,
      population: POPULATION,
      budget: { steps: BUDGET },
      ready: { every: READY },
      ...rule,
    },
    builtInTaskRegistry(),
  );
  const store = new MemoryStore();
  const exp = await createExperiment(store, prepared, 0);
  await runWorker({
    store,
    checkpoints: new MemoryCheckpointStore(),
    experimentId: exp.id,
    config: prepared.config,
    task: noisy(prepared.task, sigma),
    space: prepared.space,
    seed,
    pollMs: 1,
    clock: () => 0,
  });
  let best = -Infinity;
  for (const r of await store.listResults(exp.id)) {
    if (r.step !== BUDGET || r.metrics === null) continue;
    best = Math.max(best, trueQ(r.metrics.theta0 ?? NaN, r.metrics.theta1 ?? NaN));
  }
  return best;
}

/** Mean and the half-width of its 95 % confidence interval (Student t, n − 1 df). */
function meanCi(xs: readonly number[]): { mean: number; ci95: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  // t quantiles for 95 % two-sided; 2.093 at 19 df, 1.96 in the limit.
  const t = n >= 30 ? 2.045 : n >= 20 ? 2.093 : n >= 10 ? 2.262 : 2.776;
  return { mean, ci95: (t * sd) / Math.sqrt(n) };
}

const started = performance.now();
const load0 = loadavg()[0];
interface Row {
  readonly rule: string;
  readonly noise: number;
  readonly seeds: number;
  readonly meanFinalQ: number;
  readonly ci95: number;
  readonly reachedOptimum: number;
  readonly finals: number[];
}
const rows: Row[] = [];
for (const name of ruleNames) {
  const rule = RULES[name];
  if (rule === undefined)
    throw new Error(`unknown rule "${name}"; known: ${Object.keys(RULES).join('; ')}`);
  for (const sigma of NOISE) {
    const t0 = performance.now();
    const finals: number[] = [];
    for (let seed = 0; seed < SEEDS; seed++) finals.push(await runOnce(rule, sigma, seed));
    const { mean, ci95 } = meanCi(finals);
    const reached = finals.filter((q) => q >= THRESHOLD).length / finals.length;
    rows.push({
      rule: name,
      noise: sigma,
      seeds: SEEDS,
      meanFinalQ: mean,
      ci95,
      reachedOptimum: reached,
      finals,
    });
    console.log(
      `${name.padEnd(28)} σ=${String(sigma).padEnd(5)} Q ${mean.toFixed(4)} ± ${ci95.toFixed(4)}  ` +
        `optimum ${(reached * 100).toFixed(0)} %  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

const wallSeconds = (performance.now() - started) / 1000;
const command = `node --import tsx experiments/selection-study.ts --seeds ${SEEDS} --noise ${values.noise}${values.rules ? ` --rules '${values.rules}'` : ''}`;
mkdirSync(values.out, { recursive: true });
writeFileSync(
  path.join(values.out, 'study.json'),
  JSON.stringify(
    {
      command,
      problem:
        'toy (Jaderberg et al. 2017, fig. 2): Q(θ)=1.2−|θ|², θ0=(0.9,0.9); score = Q + N(0, σ²)',
      population: POPULATION,
      budgetStepsPerMember: BUDGET,
      readyEvery: READY,
      threshold: THRESHOLD,
      wallSeconds,
      cpus: cpus().length,
      loadAverage: { before: load0, after: loadavg()[0] },
      rows,
    },
    null,
    2,
  ) + '\n',
);
const table = [
  `| rule | ${NOISE.map((s) => `σ = ${s}`).join(' | ')} |`,
  `| --- | ${NOISE.map(() => '---').join(' | ')} |`,
  ...ruleNames.map((name) => {
    const cells = NOISE.map((s) => {
      const r = rows.find((x) => x.rule === name && x.noise === s);
      return r
        ? `${r.meanFinalQ.toFixed(4)} ± ${r.ci95.toFixed(4)} (${Math.round(r.reachedOptimum * 100)} %)`
        : '';
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  }),
];
writeFileSync(
  path.join(values.out, 'study.md'),
  `# Selection study (toy problem)\n\n\`${command}\` — ${wallSeconds.toFixed(0)} s, load average ${load0?.toFixed(1)} → ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores.\n\n` +
    `Population ${POPULATION}, ${BUDGET} steps per member, ready every ${READY} steps. Cell: mean final true Q of the best member ± 95 % CI over ${SEEDS} seeds (fraction of seeds reaching Q ≥ ${THRESHOLD}).\n\n` +
    table.join('\n') +
    '\n',
);
console.log(`\n${table.join('\n')}\n\nwall ${wallSeconds.toFixed(0)} s`);
