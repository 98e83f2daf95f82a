/**
 * Selection rules under noisy and short-sighted scores: which fitness (last, mean, EMA, trend),
 * which exploit (truncation, t-test) and which explore (perturb, PB2) still reach the optimum.
 * Every run goes through the real runtime (memory store, in-memory checkpoints, one in-process
 * worker), over many seeds.
 *
 *   node --import tsx experiments/selection-study.ts --problem toy [--seeds 20] [--noise 0,0.03,0.1]
 *   node --import tsx experiments/selection-study.ts --problem nqm [--seeds 20] [--noise 0,0.03,0.1]
 *
 * - toy: the PBT paper's problem (population 4, 200 steps each, ready every 4). Final: the true
 *   Q = 1.2 − |θ|² of the best member at the end; optimum: Q ≥ 1.19.
 * - nqm: the noisy quadratic model (experiments/lib/noisy-quadratic.ts: the best learning-rate
 *   schedule decays; short comparisons favour lowering it too early). Population 6, 1,000 steps
 *   each, ready every 20. Final: the best member's expected loss at the end; optimum: within
 *   1.5× the loss of the best exponential-decay schedule found by grid search.
 *
 * Noise σ is added to every reported score (N(0, σ²); the true objective stays exact), to
 * compare with the gaps between members. Writes results/selection/<problem>[-<tag>].{json,md}.
 * Without --rules, the first six rules below; the others are run by name with --rules/--tag.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { MemoryStore } from '../src/engine/store/memory/memory-store.js';
import type { ResultRecord } from '../src/engine/store/store.js';
import type { Task } from '../src/engine/tasks/task.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { MemoryCheckpointStore } from './lib/memory-checkpoints.js';
import { curvatures, nqmLoss, nqmStep, nqmTaskDefinition } from './lib/noisy-quadratic.js';

const { values } = parseArgs({
  options: {
    problem: { type: 'string', default: 'toy' },
    seeds: { type: 'string', default: '20' },
    noise: { type: 'string', default: '0,0.03,0.1' },
    rules: { type: 'string' },
    /** Suffix of the output files, for a run of selected `--rules`. */
    tag: { type: 'string' },
    out: { type: 'string', default: 'results/selection' },
  },
});
const SEEDS = Number(values.seeds);
const NOISE = values.noise.split(',').map(Number);

interface Problem {
  readonly description: string;
  readonly config: Record<string, unknown>;
  /** Final value of one run from its results (at the budget). */
  final(results: readonly ResultRecord[]): number;
  readonly higherIsBetter: boolean;
  readonly optimum: number;
  readonly optimumText: string;
  readonly finalText: string;
}

const NQM = { dims: 20, minCurvature: 1e-3, noise: 0.1 };
const NQM_STEPS = 1000;

/** The best exponential-decay schedule lr₀·0.5^(t/half) on a grid: the reference optimum. */
function nqmReference(): { loss: number; lr0: number; halfLife: number; bestConstant: number } {
  const h = curvatures(NQM);
  const run = (lr: (t: number) => number): number => {
    const m = h.map(() => 1);
    for (let t = 0; t < NQM_STEPS; t++) nqmStep(m, h, lr(t), NQM.noise);
    return nqmLoss(m, h);
  };
  let best = { loss: Infinity, lr0: 0, halfLife: 0 };
  for (const lr0 of [0.5, 1, 1.5, 1.9]) {
    for (const halfLife of [25, 50, 75, 100, 150, 200, 300, 500]) {
      const loss = run((t) => lr0 * 0.5 ** (t / halfLife));
      if (loss < best.loss) best = { loss, lr0, halfLife };
    }
  }
  let bestConstant = Infinity;
  for (let e = -3; e <= 0.25; e += 0.05)
    bestConstant = Math.min(
      bestConstant,
      run(() => 10 ** e),
    );
  return { ...best, bestConstant };
}

const atBudget = (results: readonly ResultRecord[], steps: number): ResultRecord[] =>
  results.filter((r) => r.step === steps && r.metrics !== null);

function problem(name: string): Problem {
  if (name === 'toy') {
    return {
      description:
        'toy (Jaderberg et al. 2017, fig. 2): Q(θ)=1.2−|θ|², θ0=(0.9,0.9); population 4, 200 steps each, ready every 4',
      config: { task: 'toy', population: 4, budget: { steps: 200 }, ready: { every: 4 } },
      final: (results) =>
        Math.max(
          ...atBudget(results, 200).map(
            (r) => 1.2 - ((r.metrics?.theta0 ?? NaN) ** 2 + (r.metrics?.theta1 ?? NaN) ** 2),
          ),
        ),
      higherIsBetter: true,
      optimum: 1.19,
      optimumText: 'Q ≥ 1.19',
      finalText: 'mean final true Q of the best member (higher is better)',
    };
  }
  if (name === 'nqm') {
    const ref = nqmReference();
    return {
      description: `noisy quadratic model, ${NQM.dims} dims, curvatures 1…${NQM.minCurvature}, gradient noise ${NQM.noise}; population 6, ${NQM_STEPS} steps each, ready every 20, truncation 0.25; reference: best constant lr loss ${ref.bestConstant.toExponential(3)}, best exponential decay (lr0 ${ref.lr0}, half-life ${ref.halfLife}) ${ref.loss.toExponential(3)}`,
      config: {
        task: 'nqm',
        taskOptions: NQM,
        population: 6,
        budget: { steps: NQM_STEPS },
        ready: { every: 20 },
      },
      final: (results) =>
        Math.min(...atBudget(results, NQM_STEPS).map((r) => r.metrics?.loss ?? Infinity)),
      higherIsBetter: false,
      optimum: 1.5 * ref.loss,
      optimumText: `loss ≤ 1.5 × the best decay schedule's (${(1.5 * ref.loss).toExponential(3)}); best constant lr reaches ${ref.bestConstant.toExponential(3)}`,
      finalText: 'mean final expected loss of the best member (lower is better)',
    };
  }
  throw new Error(`unknown problem "${name}" (toy or nqm)`);
}

const PROBLEM = problem(values.problem);

/** Rule name → config overrides (on the task's defaults). */
const RULES: Record<string, Record<string, unknown>> = {
  'truncation, last (default)': {},
  'truncation, mean k=4': { fitness: { kind: 'mean', window: 4 } },
  'truncation, ema α=0.3': { fitness: { kind: 'ema', alpha: 0.3 } },
  'truncation, trend k=4': { fitness: { kind: 'trend', window: 4 } },
  't-test k=4, p<0.05': { exploit: { kind: 'ttest', window: 4 } },
  'truncation, last, PB2': { explore: { kind: 'pb2', pb2: { maxPoints: 100 } } },
  // FIRE-PBT's spirit taken further: rank by where the trend puts a member far ahead.
  'truncation, trend k=8, horizon 400': { fitness: { kind: 'trend', window: 8, horizon: 400 } },
  't-test k=8, p<0.05': { exploit: { kind: 'ttest', window: 8 } },
};
const ruleNames = values.rules?.split(';') ?? Object.keys(RULES).slice(0, 6);
const outName = `${values.problem}${values.tag !== undefined ? `-${values.tag}` : ''}`;

/** The task with N(0, sigma²) added to each reported score. */
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

const registry = builtInTaskRegistry();
registry.register(nqmTaskDefinition as never);

async function runOnce(
  rule: Record<string, unknown>,
  sigma: number,
  seed: number,
): Promise<{ final: number; exploits: number }> {
  const prepared = await prepareExperiment({ ...PROBLEM.config, seed, ...rule }, registry);
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
  return {
    final: PROBLEM.final(await store.listResults(exp.id)),
    exploits: (await store.listLineage(exp.id)).length,
  };
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

interface Row {
  readonly rule: string;
  readonly noise: number;
  readonly seeds: number;
  readonly meanFinal: number;
  readonly ci95: number;
  readonly reachedOptimum: number;
  /** Mean number of exploits (copies) per run. */
  readonly meanExploits: number;
  readonly finals: number[];
}

const fmt = (x: number): string =>
  Math.abs(x) >= 0.01 && Math.abs(x) < 100 ? x.toFixed(4) : x.toExponential(2);

const started = performance.now();
const load0 = loadavg()[0] ?? NaN;
const rows: Row[] = [];
for (const name of ruleNames) {
  const rule = RULES[name];
  if (rule === undefined) {
    throw new Error(`unknown rule "${name}"; known: ${Object.keys(RULES).join('; ')}`);
  }
  for (const sigma of NOISE) {
    const t0 = performance.now();
    const finals: number[] = [];
    let exploits = 0;
    for (let seed = 0; seed < SEEDS; seed++) {
      const run = await runOnce(rule, sigma, seed);
      finals.push(run.final);
      exploits += run.exploits;
    }
    const meanExploits = exploits / SEEDS;
    const { mean, ci95 } = meanCi(finals);
    const good = (v: number): boolean =>
      PROBLEM.higherIsBetter ? v >= PROBLEM.optimum : v <= PROBLEM.optimum;
    const reached = finals.filter(good).length / finals.length;
    rows.push({
      rule: name,
      noise: sigma,
      seeds: SEEDS,
      meanFinal: mean,
      ci95,
      reachedOptimum: reached,
      meanExploits,
      finals,
    });
    console.log(
      `${name.padEnd(28)} σ=${String(sigma).padEnd(5)} ${fmt(mean)} ± ${fmt(ci95)}  ` +
        `optimum ${(reached * 100).toFixed(0)} %  ${meanExploits.toFixed(1)} copies  (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
}

const wallSeconds = (performance.now() - started) / 1000;
const load1 = loadavg()[0] ?? NaN;
const command = `node --import tsx experiments/selection-study.ts --problem ${values.problem} --seeds ${SEEDS} --noise ${values.noise}${values.rules ? ` --rules '${values.rules}'` : ''}${values.tag !== undefined ? ` --tag ${values.tag}` : ''}`;
mkdirSync(values.out, { recursive: true });
writeFileSync(
  path.join(values.out, `${outName}.json`),
  JSON.stringify(
    {
      command,
      problem: PROBLEM.description,
      final: PROBLEM.finalText,
      optimum: PROBLEM.optimumText,
      wallSeconds,
      cpus: cpus().length,
      loadAverage: { before: load0, after: load1 },
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
        ? `${fmt(r.meanFinal)} ± ${fmt(r.ci95)} (${Math.round(r.reachedOptimum * 100)} %, ${r.meanExploits.toFixed(0)} copies)`
        : '';
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  }),
];
const header =
  `# Selection study: ${values.problem}\n\n${PROBLEM.description}.\n\n` +
  `\`${command}\` — ${wallSeconds.toFixed(0)} s, load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores.\n\n` +
  `Cell: ${PROBLEM.finalText} ± 95 % CI over ${SEEDS} seeds (fraction of seeds reaching the optimum: ${PROBLEM.optimumText}; mean exploits per run).\n\n`;
writeFileSync(path.join(values.out, `${outName}.md`), header + table.join('\n') + '\n');
console.log(`\n${table.join('\n')}\n\nwall ${wallSeconds.toFixed(0)} s`);
