import type { MemberId } from '../core/types.js';
import type { ExperimentRecord, LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';

/**
 * What the dashboard server sends the page (and what `pbt report` inlines): store records with
 * everything private taken out. Only these types cross the wire; the page builds its view
 * model from them with the same pure code as the static report.
 */

/** The experiment without its store URL (may hold a password) or checkpoint directory (a path). */
export type PublicExperiment = ExperimentRecord;

export interface BaselineData {
  readonly label: string;
  readonly experiment: PublicExperiment;
  readonly results: readonly ResultRecord[];
}

/** One experiment as first shown; `results` and `lineage` grow through updates. */
export interface ExperimentSnapshot {
  readonly experiment: PublicExperiment;
  readonly members: readonly MemberRecord[];
  readonly results: readonly ResultRecord[];
  readonly lineage: readonly LineageEvent[];
  /** Other experiments of the same group (random/grid search, fixed hyperparameters). */
  readonly baselines: readonly BaselineData[];
}

/** What changed since the last update: only new rows and members whose record changed. */
export interface ExperimentUpdate {
  readonly status: PublicExperiment['status'];
  readonly members: readonly MemberRecord[];
  readonly results: readonly ResultRecord[];
  readonly lineage: readonly LineageEvent[];
}

/** A row of the experiment list. */
export interface ExperimentListRow {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly task: string;
  readonly method: string;
  readonly group: string | null;
  readonly populationSize: number;
  readonly createdAt: number;
  /** Steps done / steps budgeted over the population (null without a budget). */
  readonly progress: number | null;
  readonly stepsDone: number;
  readonly bestScore: number | null;
  readonly bestMember: MemberId | null;
}

/** The config keys the page uses; everything else (store, checkpoints, task options) stays home. */
const PUBLIC_CONFIG_KEYS = [
  'name',
  'method',
  'group',
  'budget',
  'space',
  'population',
  'mode',
  'ready',
] as const;

/** A stored config as a plain record (empty when it is not an object), for tolerant reads. */
export const configOf = (e: ExperimentRecord): Record<string, unknown> =>
  typeof e.config === 'object' && e.config !== null ? (e.config as Record<string, unknown>) : {};

export function publicExperiment(e: ExperimentRecord): PublicExperiment {
  const config = configOf(e);
  const kept: Record<string, unknown> = {};
  for (const key of PUBLIC_CONFIG_KEYS) if (key in config) kept[key] = config[key];
  return { ...e, config: kept };
}

/**
 * Task errors may quote the server's files (stack traces, dataset paths): absolute paths become
 * `…/<file name>` so the page still says which file without saying where.
 */
export function redactPaths(text: string): string {
  return text.replace(
    /(?:[A-Za-z]:)?(?:[\\/][^\\/\s'"`:()]+){2,}/g,
    (path) => `…/${path.split(/[\\/]/).at(-1) ?? ''}`,
  );
}

export function publicMember(m: MemberRecord): MemberRecord {
  return m.failureReason === null ? m : { ...m, failureReason: redactPaths(m.failureReason) };
}

export function publicResult(r: ResultRecord): ResultRecord {
  return r.error === null ? r : { ...r, error: redactPaths(r.error) };
}

/**
 * JSON that can sit inside an HTML `<script type="application/json">` element: `<`, `>` and `&`
 * are escaped so no value can close the element or open a comment, whatever the user named things.
 */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
