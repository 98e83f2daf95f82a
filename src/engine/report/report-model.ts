import { buildLineageGraph, type LineageGraph } from '../core/lineage-tree.js';
import { bestMember, groupResults, isFailed, scheduleOf, type Schedule } from '../core/schedule.js';
import type { ParamSpec, SearchSpace } from '../core/space-types.js';
import type { HparamValue, Hparams, MemberId } from '../core/types.js';
import type { ExperimentRecord, LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';

/**
 * The report as plain data: everything the HTML renderer (and the live dashboard) draws, built
 * from store records only. Pure: no clock, no I/O.
 */

export interface ReportInput {
  readonly experiment: ExperimentRecord;
  readonly members: readonly MemberRecord[];
  readonly results: readonly ResultRecord[];
  readonly lineage: readonly LineageEvent[];
  /** Other experiments on the same task and budget (random/grid search, fixed hyperparameters). */
  readonly baselines?: readonly ReportBaseline[];
  /** The task's search space, when known; otherwise `experiment.config.space` is used. */
  readonly space?: SearchSpace;
  /** Score the comparison table measures "steps to reach" against. Default: see ComparisonView. */
  readonly threshold?: number;
}

export interface ReportBaseline {
  readonly label: string;
  readonly experiment: ExperimentRecord;
  readonly results: readonly ResultRecord[];
}

export interface ReportSummary {
  readonly experimentId: string;
  readonly name: string | null;
  readonly task: string;
  readonly method: string;
  readonly populationSize: number;
  /** Training steps per member (config `budget.steps`), when known. */
  readonly budgetSteps: number | null;
  readonly status: string;
  readonly seed: number;
  readonly createdAt: number;
  readonly bestMember: MemberId | null;
  readonly bestScore: number | null;
  /** Compute spent: the sum of every member's steps. */
  readonly totalSteps: number;
  readonly exploitCount: number;
  readonly resultCount: number;
  readonly failedResults: number;
  readonly failedMembers: number;
  readonly membersDone: number;
  /** From the first to the last result, seconds (null with fewer than two results). */
  readonly wallSeconds: number | null;
  readonly firstResultAt: number | null;
  readonly lastResultAt: number | null;
  /** Sum of train + evaluate time over all results, seconds. */
  readonly trainSeconds: number;
  /** Hyperparameters with one value across the whole experiment. */
  readonly constants: Readonly<Record<string, HparamValue>>;
}

export interface SeriesData {
  readonly name: string;
  readonly memberId?: MemberId;
  readonly points: readonly (readonly [number, number])[];
}

export interface HparamView {
  readonly name: string;
  /** Draw on a log axis (loguniform / int with log in the space, or values spanning > 2 decades). */
  readonly log: boolean;
  /** For categorical string values: y = index into this list. */
  readonly categories: readonly string[] | null;
  /** Per member, the value over member steps as a step function (held until it changes). */
  readonly series: readonly SeriesData[];
}

export interface ScheduleView {
  readonly schedule: Schedule;
  /** Hyperparameters that vary along the schedule or across members, in name order. */
  readonly paramNames: readonly string[];
  /** Per numeric parameter: its value over the final model's own training steps (model steps). */
  readonly series: readonly {
    readonly name: string;
    readonly log: boolean;
    readonly points: readonly (readonly [number, number])[];
  }[];
}

export interface ComparisonRow {
  readonly label: string;
  readonly experimentId: string;
  readonly method: string;
  readonly populationSize: number;
  /** The best member's last score. */
  readonly bestFinalScore: number | null;
  /** Highest score seen at any ready point. */
  readonly bestScoreSeen: number | null;
  readonly totalSteps: number;
  /** Population compute (sum of member steps) when the best score seen first reached the threshold. */
  readonly stepsToThreshold: number | null;
}

export interface ComparisonView {
  /**
   * The threshold for `stepsToThreshold`: the input's, or by default the lowest best-final score
   * among the compared experiments, so every one reaches it and the question is how fast.
   */
  readonly threshold: number | null;
  /** Best score seen so far against population compute (sum of member steps), per experiment. */
  readonly series: readonly SeriesData[];
  readonly rows: readonly ComparisonRow[];
  /** True when every experiment spent the same total steps (within 1%). */
  readonly equalBudget: boolean;
}

export interface ReportModel {
  readonly title: string;
  readonly summary: ReportSummary;
  /** Score of each member over its steps. */
  readonly scores: readonly SeriesData[];
  readonly hparams: readonly HparamView[];
  /** Null when no member has a score yet. */
  readonly schedule: ScheduleView | null;
  readonly lineage: LineageGraph;
  /** Null without baselines. */
  readonly comparison: ComparisonView | null;
}

export function buildReportModel(input: ReportInput): ReportModel {
  const { experiment, members, results, lineage } = input;
  const config = asRecord(experiment.config);
  const space = input.space ?? readSpace(config);
  const byMember = groupResults(results);
  const best = members.length > 0 ? bestMember(members) : bestMember(results);
  const times = results.map((r) => r.time).filter((t) => Number.isFinite(t));
  // (reduce, not Math.min(...times): spreading 100,000+ arguments overflows the stack)
  const firstResultAt = times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : null;
  const lastResultAt = times.length > 0 ? times.reduce((a, b) => Math.max(a, b)) : null;
  // A member's results share one hyperparameter object between exploits when they come from
  // the dashboard's wire (100,000 results, ~7,000 objects): look at each distinct object once.
  const hparamSets = [...new Set(results.map((r) => r.hparams))];
  const hparamNames = [...new Set(hparamSets.flatMap((h) => Object.keys(h)))].sort();
  const constants: Record<string, HparamValue> = {};
  const varying: string[] = [];
  for (const name of hparamNames) {
    const values = new Set(hparamSets.map((h) => h[name]));
    const only = [...values][0];
    if (values.size === 1 && only !== undefined) constants[name] = only;
    else varying.push(name);
  }

  const name = typeof config.name === 'string' ? config.name : null;
  const summary: ReportSummary = {
    experimentId: experiment.id,
    name,
    task: experiment.task,
    method: typeof config.method === 'string' ? config.method : 'pbt',
    populationSize: experiment.populationSize,
    budgetSteps: readBudget(config),
    status: experiment.status,
    seed: experiment.seed,
    createdAt: experiment.createdAt,
    bestMember: best?.memberId ?? null,
    bestScore: best?.score ?? null,
    totalSteps: totalSteps(results, members),
    exploitCount: lineage.length,
    resultCount: results.length,
    failedResults: results.filter(isFailed).length,
    failedMembers: members.filter((m) => m.status === 'failed').length,
    membersDone: members.filter((m) => m.status === 'done').length,
    wallSeconds:
      firstResultAt !== null && lastResultAt !== null && results.length > 1
        ? (lastResultAt - firstResultAt) / 1000
        : null,
    firstResultAt,
    lastResultAt,
    trainSeconds: results.reduce(
      (s, r) => s + (Number.isFinite(r.trainSeconds) ? r.trainSeconds : 0),
      0,
    ),
    constants,
  };

  const scores: SeriesData[] = [...byMember].map(([memberId, rows]) => ({
    name: `m${memberId}`,
    memberId,
    points: rows.filter((r) => !isFailed(r)).map((r) => [r.step, r.score ?? 0] as const),
  }));

  const hparams: HparamView[] = varying.map((param) =>
    hparamView(param, space[param], byMember, hparamSets),
  );

  let scheduleView: ScheduleView | null = null;
  if (best !== null) {
    const schedule = scheduleOf(best.memberId, results, lineage, { byMember });
    scheduleView = {
      schedule,
      paramNames: varying,
      series: varying.flatMap((param) => {
        const view = hparams.find((h) => h.name === param);
        if (view === undefined || view.categories !== null) return [];
        const points: [number, number][] = [];
        for (const seg of schedule.segments) {
          const v = seg.hparams[param];
          if (typeof v !== 'number') continue;
          points.push([seg.fromModelStep, v], [seg.toModelStep, v]);
        }
        return [{ name: param, log: view.log, points }];
      }),
    };
  }

  const memberIds = members.map((m) => m.id);
  const comparison =
    input.baselines && input.baselines.length > 0
      ? buildComparison(
          [
            { label: labelFor(config, 'PBT'), experiment, results },
            ...input.baselines.map((b) => ({
              label: b.label,
              experiment: b.experiment,
              results: b.results,
            })),
          ],
          input.threshold,
        )
      : null;

  return {
    title: `${name ?? experiment.id} — ${experiment.task}`,
    summary,
    scores,
    hparams,
    schedule: scheduleView,
    lineage: buildLineageGraph(results, lineage, memberIds, byMember),
    comparison,
  };
}

/**
 * Best score seen so far against total population compute, for several experiments: results in
 * time order, each adding its member's new steps to the running compute.
 */
export function buildComparison(
  entries: readonly {
    label: string;
    experiment: ExperimentRecord;
    results: readonly ResultRecord[];
  }[],
  threshold?: number,
): ComparisonView {
  const curves = entries.map((entry) => ({ entry, curve: bestSoFarCurve(entry.results) }));
  const finals = curves.map(({ entry }) => bestMember(entry.results)?.score ?? null);
  const reached = finals.filter((s): s is number => s !== null);
  const t = threshold ?? (reached.length > 0 ? Math.min(...reached) : null);
  const rows: ComparisonRow[] = curves.map(({ entry, curve }, i) => {
    const config = asRecord(entry.experiment.config);
    const hit = t === null ? undefined : curve.find(([, score]) => score >= t);
    const seen = curve.at(-1)?.[1] ?? null;
    return {
      label: entry.label,
      experimentId: entry.experiment.id,
      method: typeof config.method === 'string' ? config.method : 'pbt',
      populationSize: entry.experiment.populationSize,
      bestFinalScore: finals[i] ?? null,
      bestScoreSeen: seen,
      totalSteps: totalSteps(entry.results, []),
      stepsToThreshold: hit?.[0] ?? null,
    };
  });
  const totals = rows.map((r) => r.totalSteps);
  const maxTotal = Math.max(0, ...totals);
  return {
    threshold: t,
    series: curves.map(({ entry, curve }) => ({ name: entry.label, points: curve })),
    rows,
    equalBudget: totals.every((s) => Math.abs(s - maxTotal) <= maxTotal * 0.01),
  };
}

/** [compute, best score so far] at every result that raised the best, plus the end point. */
export function bestSoFarCurve(results: readonly ResultRecord[]): [number, number][] {
  const ordered = [...results].sort((a, b) => a.time - b.time || a.id - b.id);
  const stepOf = new Map<MemberId, number>();
  let compute = 0;
  let best = Number.NEGATIVE_INFINITY;
  const curve: [number, number][] = [];
  for (const r of ordered) {
    const prev = stepOf.get(r.memberId) ?? 0;
    if (r.step > prev) {
      compute += r.step - prev;
      stepOf.set(r.memberId, r.step);
    }
    if (isFailed(r) || r.score === null) continue;
    if (r.score > best) {
      best = r.score;
      curve.push([compute, best]);
    }
  }
  const last = curve.at(-1);
  if (last !== undefined && last[0] < compute) curve.push([compute, last[1]]);
  return curve;
}

function hparamView(
  param: string,
  spec: ParamSpec | undefined,
  byMember: ReadonlyMap<MemberId, readonly ResultRecord[]>,
  hparamSets: readonly Hparams[],
): HparamView {
  // Every value the parameter takes (from the distinct sets: the same values, fewer to scan).
  const all = hparamSets.map((h) => h[param]);
  const numeric = all.every((v) => v === undefined || typeof v === 'number');
  let categories: string[] | null = null;
  if (!numeric) {
    const fromSpec = spec?.type === 'categorical' ? spec.values.map(String) : [];
    const seen = all.filter((v) => v !== undefined).map(String);
    categories = [...new Set([...fromSpec, ...seen])];
  }
  const yOf = (v: HparamValue | undefined): number | null => {
    if (v === undefined) return null;
    if (categories !== null) return categories.indexOf(String(v));
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const series: SeriesData[] = [...byMember].map(([memberId, rows]) => {
    const points: [number, number][] = [];
    let prev = 0;
    for (const r of rows) {
      const y = yOf(r.hparams[param]);
      if (y !== null) {
        const last = points.at(-1);
        if (!(last !== undefined && last[0] === prev && last[1] === y)) points.push([prev, y]);
        points.push([r.step, y]);
      }
      prev = r.step;
    }
    return { name: `m${memberId}`, memberId, points };
  });
  return { name: param, log: categories === null && isLogParam(spec, all), categories, series };
}

function isLogParam(
  spec: ParamSpec | undefined,
  values: readonly (HparamValue | undefined)[],
): boolean {
  if (spec?.type === 'loguniform') return true;
  if (spec?.type === 'int') return spec.log === true;
  if (spec !== undefined && spec.type !== 'fixed') return false;
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === 0 || nums.some((v) => v <= 0)) return false;
  return nums.reduce((a, b) => Math.max(a, b)) / nums.reduce((a, b) => Math.min(a, b)) > 100;
}

function totalSteps(results: readonly ResultRecord[], members: readonly MemberRecord[]): number {
  const last = new Map<MemberId, number>();
  for (const r of results) last.set(r.memberId, Math.max(last.get(r.memberId) ?? 0, r.step));
  for (const m of members) last.set(m.id, Math.max(last.get(m.id) ?? 0, m.step));
  let sum = 0;
  for (const s of last.values()) sum += s;
  return sum;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function readSpace(config: Record<string, unknown>): SearchSpace {
  return asRecord(config.space) as SearchSpace;
}

function readBudget(config: Record<string, unknown>): number | null {
  const budget = config.budget;
  if (typeof budget === 'number') return budget;
  const steps = asRecord(budget).steps;
  return typeof steps === 'number' ? steps : null;
}

function labelFor(config: Record<string, unknown>, fallback: string): string {
  const method = config.method;
  return typeof method === 'string' && method !== 'pbt' ? method : fallback;
}
