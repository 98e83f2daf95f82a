import { PbtError } from '../../core/errors.js';
import type { Hparams, MemberStatus, Metrics } from '../../core/types.js';
import type {
  ExperimentRecord,
  ExperimentStatus,
  LineageEvent,
  MemberRecord,
  ResultRecord,
} from '../store.js';

/**
 * The persisted shape of each record: snake_case columns, JSON text for structured values,
 * 0/1 for booleans. SQLite reads and writes these rows directly; the memory store keeps the same
 * rows so both stores round-trip values identically.
 */
export interface ExperimentRow {
  readonly id: string;
  readonly task: string;
  readonly config: string;
  readonly seed: number;
  readonly status: string;
  readonly created_at: number;
  readonly population_size: number;
}

export interface MemberRow {
  readonly experiment_id: string;
  readonly id: number;
  readonly hparams: string;
  readonly step: number;
  readonly score: number | null;
  readonly last_failed: number;
  readonly checkpoint: string | null;
  readonly status: string;
  readonly decision_due: number;
  readonly consecutive_failures: number;
  readonly failure_reason: string | null;
  readonly lease_owner: string | null;
  readonly lease_expires_at: number | null;
  readonly token: number;
}

export interface ResultRow {
  readonly id: number;
  readonly experiment_id: string;
  readonly member_id: number;
  readonly step: number;
  readonly score: number | null;
  readonly metrics: string | null;
  readonly error: string | null;
  readonly hparams: string;
  readonly checkpoint: string | null;
  readonly time: number;
  readonly train_seconds: number;
}

export interface LineageRow {
  readonly id: number;
  readonly experiment_id: string;
  readonly member_id: number;
  readonly step: number;
  readonly donor: number;
  readonly donor_step: number;
  readonly donor_checkpoint: string;
  readonly old_hparams: string;
  readonly new_hparams: string;
  readonly operations: string;
  readonly time: number;
}

/** A result or lineage event before the store has assigned its id. */
export type Unnumbered<T> = Omit<T, 'id'>;

const experimentStatuses: readonly string[] = ['running', 'stopped', 'done'];
const memberStatuses: readonly string[] = ['pending', 'running', 'done', 'failed'];

/**
 * JSON text for a stored value. Non-finite numbers are refused: JSON would silently turn them
 * into null, and a NaN that comes back as null is a wrong number, not a missing one.
 */
export function toJson(value: unknown, what: string): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new PbtError(
        'NON_FINITE',
        `${what}${key === '' ? '' : ` '${key}'`} is ${v}: only finite numbers can be stored`,
      );
    }
    return v;
  });
}

function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

function checkStatus<T extends string>(value: string, allowed: readonly string[], what: string): T {
  if (!allowed.includes(value)) {
    throw new PbtError(
      'CORRUPT',
      `stored ${what} status '${value}' is not one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

export function experimentFromRow(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    task: row.task,
    config: fromJson<unknown>(row.config),
    seed: row.seed,
    status: checkStatus<ExperimentStatus>(row.status, experimentStatuses, 'experiment'),
    createdAt: row.created_at,
    populationSize: row.population_size,
  };
}

export function experimentToRow(record: ExperimentRecord): ExperimentRow {
  return {
    id: record.id,
    task: record.task,
    config: toJson(record.config, 'experiment config'),
    seed: record.seed,
    status: record.status,
    created_at: record.createdAt,
    population_size: record.populationSize,
  };
}

export function memberFromRow(row: MemberRow): MemberRecord {
  return {
    experimentId: row.experiment_id,
    id: row.id,
    step: row.step,
    score: row.score,
    lastFailed: row.last_failed !== 0,
    hparams: fromJson<Hparams>(row.hparams),
    checkpoint: row.checkpoint,
    status: checkStatus<MemberStatus>(row.status, memberStatuses, 'member'),
    decisionDue: row.decision_due !== 0,
    consecutiveFailures: row.consecutive_failures,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    token: row.token,
    failureReason: row.failure_reason,
  };
}

export function memberToRow(record: MemberRecord): MemberRow {
  return {
    experiment_id: record.experimentId,
    id: record.id,
    hparams: toJson(record.hparams, `hyperparameter of member ${record.id}`),
    step: record.step,
    score: record.score,
    last_failed: record.lastFailed ? 1 : 0,
    checkpoint: record.checkpoint,
    status: record.status,
    decision_due: record.decisionDue ? 1 : 0,
    consecutive_failures: record.consecutiveFailures,
    failure_reason: record.failureReason,
    lease_owner: record.leaseOwner,
    lease_expires_at: record.leaseExpiresAt,
    token: record.token,
  };
}

export function resultFromRow(row: ResultRow): ResultRecord {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    memberId: row.member_id,
    step: row.step,
    score: row.score,
    metrics: row.metrics === null ? null : fromJson<Metrics>(row.metrics),
    error: row.error,
    hparams: fromJson<Hparams>(row.hparams),
    checkpoint: row.checkpoint,
    time: row.time,
    trainSeconds: row.train_seconds,
  };
}

export function resultToRow(record: Unnumbered<ResultRecord>): Unnumbered<ResultRow> {
  return {
    experiment_id: record.experimentId,
    member_id: record.memberId,
    step: record.step,
    score: record.score,
    metrics: record.metrics === null ? null : toJson(record.metrics, 'metric'),
    error: record.error,
    hparams: toJson(record.hparams, 'hyperparameter'),
    checkpoint: record.checkpoint,
    time: record.time,
    train_seconds: record.trainSeconds,
  };
}

export function lineageFromRow(row: LineageRow): LineageEvent {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    memberId: row.member_id,
    step: row.step,
    donor: row.donor,
    donorStep: row.donor_step,
    donorCheckpoint: row.donor_checkpoint,
    oldHparams: fromJson<Hparams>(row.old_hparams),
    newHparams: fromJson<Hparams>(row.new_hparams),
    operations: fromJson<string[]>(row.operations),
    time: row.time,
  };
}

export function lineageToRow(event: Unnumbered<LineageEvent>): Unnumbered<LineageRow> {
  return {
    experiment_id: event.experimentId,
    member_id: event.memberId,
    step: event.step,
    donor: event.donor,
    donor_step: event.donorStep,
    donor_checkpoint: event.donorCheckpoint,
    old_hparams: toJson(event.oldHparams, 'hyperparameter'),
    new_hparams: toJson(event.newHparams, 'hyperparameter'),
    operations: toJson(event.operations, 'operation'),
    time: event.time,
  };
}
