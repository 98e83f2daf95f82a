import type { MemberId } from '../core/types.js';
import type { ExperimentRecord, LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';
import {
  decodeLineageEvent,
  decodeMember,
  decodeResults,
  encodeLineageEvent,
  encodeMember,
  encodeResults,
  type ResultColumns,
  type WireLineageEvent,
  type WireMember,
} from './wire-columns.js';

/**
 * What the dashboard server sends the page (and what `pbt report` inlines): store records with
 * everything private taken out, in a compact form (wire-columns.ts). The page turns them back
 * into records and builds its view model from them with the same pure code as the report.
 */

/** The experiment without its store URL (may hold a password) or checkpoint directory (a path). */
export type PublicExperiment = ExperimentRecord;

/** Another experiment of the same group, as records. */
export interface BaselineData {
  readonly label: string;
  readonly experiment: PublicExperiment;
  readonly results: readonly ResultRecord[];
}

/** One experiment as records (public ones: see publicMember, publicResult). */
export interface ExperimentData {
  readonly experiment: PublicExperiment;
  readonly members: readonly MemberRecord[];
  readonly results: readonly ResultRecord[];
  readonly lineage: readonly LineageEvent[];
  /** Other experiments of the same group (random/grid search, fixed hyperparameters). */
  readonly baselines: readonly BaselineData[];
}

/** What changed since the last read: only new rows and members whose record changed. */
export interface ExperimentChanges {
  readonly status: PublicExperiment['status'];
  readonly members: readonly MemberRecord[];
  readonly results: readonly ResultRecord[];
  readonly lineage: readonly LineageEvent[];
}

/** ExperimentData on the wire; `results` and `lineage` grow through updates. */
export interface ExperimentSnapshot {
  readonly experiment: PublicExperiment;
  readonly members: readonly WireMember[];
  readonly results: ResultColumns;
  readonly lineage: readonly WireLineageEvent[];
  readonly baselines: readonly {
    readonly label: string;
    readonly experiment: PublicExperiment;
    readonly results: ResultColumns;
  }[];
}

/** ExperimentChanges on the wire. */
export interface ExperimentUpdate {
  readonly status: PublicExperiment['status'];
  readonly members: readonly WireMember[];
  readonly results: ResultColumns;
  readonly lineage: readonly WireLineageEvent[];
}

export function toSnapshot(d: ExperimentData): ExperimentSnapshot {
  return {
    experiment: d.experiment,
    members: d.members.map(encodeMember),
    results: encodeResults(d.results),
    lineage: d.lineage.map(encodeLineageEvent),
    baselines: d.baselines.map((b) => ({ ...b, results: encodeResults(b.results) })),
  };
}

export function fromSnapshot(s: ExperimentSnapshot): ExperimentData {
  const id = s.experiment.id;
  return {
    experiment: s.experiment,
    members: s.members.map((m) => decodeMember(m, id)),
    results: decodeResults(s.results, id),
    lineage: s.lineage.map((e) => decodeLineageEvent(e, id)),
    baselines: s.baselines.map((b) => ({
      ...b,
      results: decodeResults(b.results, b.experiment.id),
    })),
  };
}

export function toUpdate(c: ExperimentChanges): ExperimentUpdate {
  return {
    status: c.status,
    members: c.members.map(encodeMember),
    results: encodeResults(c.results),
    lineage: c.lineage.map(encodeLineageEvent),
  };
}

export function fromUpdate(u: ExperimentUpdate, experimentId: string): ExperimentChanges {
  return {
    status: u.status,
    members: u.members.map((m) => decodeMember(m, experimentId)),
    results: decodeResults(u.results, experimentId),
    lineage: u.lineage.map((e) => decodeLineageEvent(e, experimentId)),
  };
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

/** A failure as event data, without the server's paths. */
export function errorJson(err: unknown): string {
  return JSON.stringify({ error: redactPaths(err instanceof Error ? err.message : String(err)) });
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
