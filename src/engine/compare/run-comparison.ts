import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { ConfigError, PbtError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Metrics } from '../core/types.js';
import { runWithLocalWorkers } from '../cli/run-experiment.js';
import { withoutPassword } from '../store/store-url.js';
import { readExperiment } from '../store/experiments.js';
import { checkpointsOf } from '../cli/context.js';
import { createExperiment } from '../setup/create-experiment.js';
import { prepareExperiment, type PreparedExperiment } from '../setup/prepare-experiment.js';
import { replayRuns } from '../setup/replay-runs.js';
import { proposeBatch, type Observation } from '../strategies/tpe.js';
import type { MemberRecord, ResultRecord, Store } from '../store/store.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { childCpuSeconds } from './cpu-time.js';
import { pickByValidation } from './pick.js';
import {
  CURVE_FRACTIONS,
  summarizeMethod,
  type ComparisonJson,
  type MethodSummary,
  type RunSummary,
} from './summary.js';

/**
 * 'replay' and 'final' are not equal-budget methods but PBT's diagnostics (same seed): a fresh
 * model on the schedule of PBT's best member, and one fixed at its final hyperparameters, each
 * trained for that model's steps (see `pbt replay`). They need 'pbt' earlier in the list.
 */
export const COMPARE_METHODS = [
  'pbt',
  'pb2',
  'random',
  'grid',
  'fixed',
  'asha',
  'bo',
  'replay',
  'final',
] as const;
const DERIVED: readonly CompareMethod[] = ['replay', 'final'];
export type CompareMethod = (typeof COMPARE_METHODS)[number];

/** What `pbt compare` was asked to do; saved so `pbt compare --resume` repeats it exactly. */
export interface ComparisonSpec {
  readonly id: string;
  /** The experiment config every run starts from (task, options, budget, population ...). */
  readonly raw: Record<string, unknown>;
  readonly methods: readonly CompareMethod[];
  readonly seeds: readonly number[];
  readonly storeUrl: string;
  readonly out: string;
  /** BO configurations proposed (and trained) at once. */
  readonly boBatch: number;
  /** What the comparison's workers may import (`--allow-tasks` syntax). */
  readonly allowTasks: string;
}

/** Wall and CPU seconds spent per run (method:seed), summed over sessions. */
interface ComparisonState {
  spec: ComparisonSpec;
  runs: Record<string, { wallSeconds: number; cpuSeconds: number }>;
}

export const comparisonsDir = (): string => path.resolve('.pbt', 'comparisons');

export function saveState(state: ComparisonState): void {
  mkdirSync(comparisonsDir(), { recursive: true });
  writeFileSync(
    path.join(comparisonsDir(), `${state.spec.id}.json`),
    // Never a password on disk: a resumed comparison takes it from --store or PGPASSWORD.
    `${JSON.stringify(withoutSecrets(state), null, 2)}\n`,
  );
}

function withoutSecrets(state: ComparisonState): ComparisonState {
  const { spec } = state;
  const raw =
    typeof spec.raw.store === 'string'
      ? { ...spec.raw, store: withoutPassword(spec.raw.store) }
      : spec.raw;
  return { ...state, spec: { ...spec, storeUrl: withoutPassword(spec.storeUrl), raw } };
}

/** The saved comparison `id`, or the newest one. */
export function loadState(id: string | undefined): ComparisonState {
  let file: string;
  if (id !== undefined) file = path.join(comparisonsDir(), `${id}.json`);
  else {
    let names: string[] = [];
    try {
      names = readdirSync(comparisonsDir()).filter((n) => n.endsWith('.json'));
    } catch {
      // no comparisons yet
    }
    const newest = names.sort().at(-1);
    if (newest === undefined) {
      throw new PbtError(
        'NOT_FOUND',
        `no comparison to resume in ${comparisonsDir()}; start one with \`pbt compare toy\``,
      );
    }
    file = path.join(comparisonsDir(), newest);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ComparisonState;
  } catch (err) {
    throw new PbtError(
      'NOT_FOUND',
      `cannot read comparison ${file}: ${(err as Error).message}; \`ls ${comparisonsDir()}\` lists the saved ones`,
    );
  }
}

/**
 * The experiment config of one method: 'pb2' is PBT with PB2's model-based explore (the
 * experiment's method stays 'pbt'); every other method is the config's `method` itself.
 */
function configOfMethod(
  method: CompareMethod,
  raw: Record<string, unknown>,
): Record<string, unknown> {
  if (method !== 'pb2') return { ...raw, method };
  const explore = typeof raw.explore === 'object' && raw.explore !== null ? raw.explore : {};
  return { ...raw, method: 'pbt', explore: { ...explore, kind: 'pb2' } };
}

export const runKey = (method: string, seed: number): string => `${method}:${seed}`;
export const experimentIdOf = (id: string, method: string, seed: number, batch?: number): string =>
  `${id}-${method}-s${seed}${batch === undefined ? '' : `-b${batch}`}`;

/** Validate every method's config before anything is created (bad input creates nothing). */
export async function prepareMethods(
  spec: ComparisonSpec,
  tasks: TaskRegistry,
): Promise<Map<CompareMethod, PreparedExperiment>> {
  const out = new Map<CompareMethod, PreparedExperiment>();
  const pbtAt = spec.methods.indexOf('pbt');
  for (const method of spec.methods) {
    if (DERIVED.includes(method)) {
      if (pbtAt < 0 || pbtAt > spec.methods.indexOf(method)) {
        throw new ConfigError(
          `--methods: "${method}" replays PBT's best member of the same seed; list pbt before it, e.g. pbt,replay,final`,
        );
      }
      continue;
    }
    // BO trains configurations like random search does; its proposals come later.
    const asMethod = method === 'bo' ? 'random' : method;
    out.set(method, await prepareExperiment(configOfMethod(asMethod, spec.raw), tasks));
  }
  return out;
}

/**
 * Run every method × seed (seed by seed, so a partial matrix already covers every method),
 * each as experiments with ids derived from (comparison, method, seed): a run already done is
 * skipped, a stopped one resumed. Returns 'stopped' on Ctrl-C.
 */
export async function runComparison(
  state: ComparisonState,
  store: Store,
  tasks: TaskRegistry,
  workers: number,
  log: (line: string) => void,
): Promise<'done' | 'stopped'> {
  const { spec } = state;
  await prepareMethods(spec, tasks);
  const total = spec.methods.length * spec.seeds.length;
  let index = 0;
  for (const seed of spec.seeds) {
    for (const method of spec.methods) {
      index += 1;
      log(`compare ${spec.id}: run ${index}/${total}: ${method}, seed ${seed}`);
      const raw = configOfMethod(method, { ...spec.raw, seed, group: spec.id });
      const session = async (expId: string, rawRun: Record<string, unknown>): Promise<boolean> =>
        runExperiment(state, store, tasks, workers, log, runKey(method, seed), expId, rawRun);
      if (DERIVED.includes(method)) {
        const source = experimentIdOf(spec.id, 'pbt', seed);
        const expId = experimentIdOf(spec.id, method, seed);
        let derivedRaw: Record<string, unknown> = {};
        if ((await store.getExperiment(expId)) === null) {
          const [replay, fixed] = await replayRuns(store, source, { fixed: true });
          derivedRaw = { ...(method === 'replay' ? replay : fixed), group: spec.id };
        }
        if (!(await session(expId, derivedRaw))) return 'stopped';
        continue;
      }
      if (method !== 'bo') {
        if (!(await session(experimentIdOf(spec.id, method, seed), raw))) return 'stopped';
        continue;
      }
      const prepared = await prepareExperiment({ ...raw, method: 'random' }, tasks);
      const configs = prepared.config.population;
      const startup = Math.min(10, Math.max(2, Math.ceil(configs / 3)));
      for (let b = 0, made = 0; made < configs; b++) {
        const size = Math.min(spec.boBatch, configs - made);
        made += size;
        const expId = experimentIdOf(spec.id, method, seed, b);
        let batchRaw: Record<string, unknown> = raw;
        if ((await store.getExperiment(expId)) === null) {
          const observations = await boObservations(store, spec.id, seed, b);
          const proposals = proposeBatch(
            prepared.space,
            observations,
            size,
            createRng(seed, 'bo', b),
            { startup },
          );
          batchRaw = { ...raw, initialHparams: proposals };
        }
        if (!(await session(expId, batchRaw))) return 'stopped';
      }
    }
  }
  return 'done';
}

/** Final validation scores of the BO configurations trained in batches before `batch`. */
async function boObservations(
  store: Store,
  id: string,
  seed: number,
  batch: number,
): Promise<Observation[]> {
  const out: Observation[] = [];
  for (let b = 0; b < batch; b++) {
    for (const m of await store.listMembers(experimentIdOf(id, 'bo', seed, b))) {
      if (m.status === 'done' && m.score !== null) out.push({ hparams: m.hparams, score: m.score });
    }
  }
  return out;
}

/** One experiment of a run: create it (or resume it) and train it to the end. */
async function runExperiment(
  state: ComparisonState,
  store: Store,
  tasks: TaskRegistry,
  workers: number,
  log: (line: string) => void,
  key: string,
  expId: string,
  raw: Record<string, unknown>,
): Promise<boolean> {
  const existing = await store.getExperiment(expId);
  if (existing?.status === 'done') {
    log(`  ${expId}: already done, not run again`);
    return true;
  }
  if (existing === null) {
    const prepared = await prepareExperiment(raw, tasks);
    await createExperiment(store, prepared, Date.now(), expId);
  } else {
    log(`  ${expId}: resuming`);
    await store.setExperimentStatus(expId, 'running');
  }
  const wall0 = performance.now();
  const cpu0 = childCpuSeconds();
  const population = (await store.getExperiment(expId))?.populationSize ?? workers;
  const outcome = await runWithLocalWorkers(
    store,
    state.spec.storeUrl,
    expId,
    // More processes than members would only wait (replay has one member).
    Math.min(workers, population),
    log,
    { allowTasks: state.spec.allowTasks },
  );
  const spent = state.runs[key] ?? { wallSeconds: 0, cpuSeconds: 0 };
  state.runs[key] = {
    wallSeconds: spent.wallSeconds + (performance.now() - wall0) / 1000,
    cpuSeconds: spent.cpuSeconds + (childCpuSeconds() - cpu0),
  };
  saveState(state);
  return outcome.status === 'done';
}

/** Summarise the finished runs into the comparison.json schema. */
export async function summarizeComparison(
  state: ComparisonState,
  store: Store,
  tasks: TaskRegistry,
): Promise<ComparisonJson> {
  const { spec } = state;
  const prepared = await prepareMethods(spec, tasks);
  const pbtLike = prepared.values().next().value;
  if (pbtLike === undefined) throw new PbtError('INTERNAL', 'a comparison needs a method');
  const task = pbtLike.task;
  const methods: Record<string, MethodSummary> = {};
  for (const method of spec.methods) {
    const runs: RunSummary[] = [];
    for (const seed of spec.seeds) {
      const ids = (await store.listExperiments())
        .map((e) => e.id)
        .filter(
          (id) =>
            id === experimentIdOf(spec.id, method, seed) ||
            id.startsWith(`${experimentIdOf(spec.id, method, seed)}-b`),
        )
        .sort();
      const members: (MemberRecord & { experiment: string })[] = [];
      const results: ResultRecord[] = [];
      const experimentOf: string[] = [];
      for (const id of ids) {
        for (const m of await store.listMembers(id)) members.push({ ...m, experiment: id });
        for (const r of [...(await store.listResults(id))].sort((a, b) => a.id - b.id)) {
          results.push(r);
          experimentOf.push(id);
        }
      }
      const pick = pickByValidation(members);
      const spent = state.runs[runKey(method, seed)];
      runs.push({
        seed,
        experiments: ids,
        member: pick ? { experiment: pick.experiment, id: pick.id } : null,
        validationScore: pick?.score ?? null,
        score: pick ? await finalScore(store, pick, task) : null,
        metrics: pick
          ? (results.findLast(
              (r, i) =>
                r.memberId === pick.id && experimentOf[i] === pick.experiment && r.metrics !== null,
            )?.metrics ?? null)
          : null,
        hparams: pick ? { ...pick.hparams } : null,
        totalSteps: members.reduce((s, m) => s + m.step, 0),
        wallSeconds: spent?.wallSeconds ?? 0,
        cpuSeconds: spent?.cpuSeconds ?? 0,
        curve: anytimeCurve(results, CURVE_FRACTIONS, (i) => experimentOf[i] ?? ''),
      });
    }
    methods[method] = summarizeMethod(runs);
  }
  return {
    id: spec.id,
    task: task.name,
    metric: 'score',
    higherIsBetter: true,
    finalScore: hasTestSplit(task)
      ? "test score of the member each method picks by validation (task.evaluateCheckpoint on split 'test')"
      : 'validation score of the member each method picks (the task has no test split)',
    interval:
      '95 % Student t-interval of the mean over seeds; totalSteps, wallSeconds and cpuSeconds are means per seed',
    population: pbtLike.config.population,
    budgetSteps: pbtLike.config.budget.steps,
    seeds: spec.seeds,
    methods,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    writtenAt: new Date().toISOString(),
  };
}

/**
 * Best validation score among the results recorded before `fraction` of the run's member-steps
 * were spent (results in the order they were recorded), or null before the first result.
 */
export function anytimeCurve(
  results: readonly Pick<ResultRecord, 'memberId' | 'step' | 'score'>[],
  fractions: readonly number[],
  experimentOf: (r: number) => string = () => '',
): (number | null)[] {
  const last = new Map<string, number>();
  const points: [number, number | null][] = [];
  let spent = 0;
  let best: number | null = null;
  results.forEach((r, i) => {
    const key = `${experimentOf(i)}/${r.memberId}`;
    spent += Math.max(0, r.step - (last.get(key) ?? 0));
    last.set(key, r.step);
    if (r.score !== null && (best === null || r.score > best)) best = r.score;
    points.push([spent, best]);
  });
  return fractions.map((f) => {
    let value: number | null = null;
    for (const [x, y] of points) if (x <= f * spent + 1e-9) value = y;
    return value;
  });
}

async function finalScore(
  store: Store,
  pick: MemberRecord & { experiment: string },
  task: PreparedExperiment['task'],
): Promise<number | null> {
  if (!task.evaluateCheckpoint || !hasTestSplit(task) || pick.checkpoint === null) {
    return pick.score;
  }
  const experiment = await readExperiment(store, pick.experiment);
  if (!experiment) return pick.score;
  const checkpoints = checkpointsOf(experiment);
  let bytes: Uint8Array;
  try {
    bytes = await checkpoints.get(pick.checkpoint);
  } finally {
    await checkpoints.close?.();
  }
  const seed = createRng(experiment.config.seed, 'final-test').int(2 ** 31);
  const metrics: Metrics = await task.evaluateCheckpoint(bytes, pick.hparams, 'test', {
    seed,
    rng: createRng(seed),
    log: () => undefined,
  });
  return metrics.score;
}

/** The task can score a checkpoint on a 'test' split (tasks that list no splits are asked). */
function hasTestSplit(task: PreparedExperiment['task']): boolean {
  return task.evaluateCheckpoint !== undefined && (task.splits?.includes('test') ?? true);
}
