import { randomUUID } from 'node:crypto';
import { NotFoundError, PbtError } from '../../core/errors.js';
import type { Decision, MemberView, PopulationSnapshot } from '../../core/types.js';
import {
  assertLeaseHeld,
  claimCandidates,
  claimed,
  decided,
  failed,
  heartbeated,
  leaseOf,
  newExperiment,
  released,
  toView,
  withResult,
} from '../shared/member-transitions.js';
import {
  experimentFromRow,
  experimentToRow,
  lineageFromRow,
  lineageToRow,
  memberFromRow,
  memberToRow,
  resultFromRow,
  resultToRow,
  toJson,
  type ExperimentRow,
  type LineageRow,
  type MemberRow,
  type ResultRow,
} from '../shared/rows.js';
import type {
  AppliedDecision,
  ClaimOptions,
  ExperimentRecord,
  ExperimentStatus,
  Lease,
  LineageEvent,
  MemberRecord,
  NewExperiment,
  ReadyResult,
  ResultRecord,
  Store,
} from '../store.js';
import { parsePostgresUrl, type PostgresTarget } from './connection.js';
import { PostgresDatabase, type PostgresDatabaseOptions, type Queryable } from './database.js';

export type PostgresStoreOptions = PostgresDatabaseOptions;

const MEMBER_COLUMNS = `experiment_id, id, hparams, step, score, last_failed, checkpoint, status,
  decision_due, consecutive_failures, failure_reason, lease_owner, lease_expires_at, token`;

/** Checkpoints to keep (see Store.referencedCheckpoints). */
const RETAINED = `(
        SELECT checkpoint FROM members WHERE checkpoint IS NOT NULL
        UNION
        SELECT (
          SELECT r.checkpoint FROM results r
          WHERE r.experiment_id = e.id AND r.checkpoint IS NOT NULL AND r.score IS NOT NULL
          ORDER BY r.score DESC, r.id ASC LIMIT 1
        ) AS checkpoint FROM experiments e
      )`;

/** Re-deciding because the donor changed under us more often than this is left to a retry. */
const MAX_DECISION_ROUNDS = 5;

/** Write records older than this are pruned; retries give up long before. */
const WRITE_RECORD_TTL = '1 hour';
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The population store for many machines: every worker, on any host, talks to one PostgreSQL
 * database. The rules (claim order, fencing, what a result or decision changes) are the shared
 * ones of src/store/shared/member-transitions.ts; this class only decides what to lock and when.
 *
 * Concurrency (READ COMMITTED plus explicit row locks):
 * - A claim reads the active members, ranks the claimable ones with the shared rule and locks
 *   the best one no other transaction holds (`FOR NO KEY UPDATE SKIP LOCKED`), so concurrent
 *   claims spread over different members instead of queueing on one. It then re-checks the
 *   locked (current) row with the shared rule; with a barrier, against a fresh read of the
 *   population (the lowest step may have moved).
 * - Every write for a lease first locks its member row; fencing (token + owner) is then checked
 *   on the row as it is now, and no other writer can change it before we commit.
 * - `applyDecision` locks its own row, reads the population (one consistent snapshot), lets
 *   `decide` choose, and for an exploit locks the donor row `FOR SHARE` before writing. If the
 *   donor changed between the snapshot and the lock (it recorded a result or exploited someone
 *   itself), the decision is made again on fresh data. Holding the donor's lock until commit
 *   means the donor cannot move its checkpoint on before this member references it, so a
 *   checkpoint is never unreferenced in between (and never garbage-collected while in use), and
 *   the lineage event records exactly the donor state that was copied. The rest of the
 *   population is only a ranking input: a statement-level snapshot of it is what a serial
 *   execution at that instant would have seen, so SERIALIZABLE (with its false-positive aborts
 *   on a table every worker writes) buys nothing here. Two decisions that take each other as
 *   donors would deadlock; PostgreSQL aborts one and it is retried.
 *
 * Connection loss: every request is retried with backoff (see retry.ts). A retried read is
 * harmless. A write whose COMMIT was in flight when the connection broke may or may not have
 * committed, so each write call picks a random write id before its first attempt and commits a
 * row in `writes` (primary key: that id) together with its changes and its outcome. A retry
 * looks the id up first (a write for a lease after locking its member row, which waits out an
 * earlier attempt still running on the server, since that locked the same row): if found, the
 * earlier attempt committed and its recorded outcome is returned. Nothing is written twice: no
 * duplicate result row, no second lineage event, no second claim or experiment. The primary key
 * makes this exact even when an earlier attempt is still in flight (a claim, a creation): the
 * second insert fails, and the retry then finds the first. Heartbeats need no id: extending a
 * lease twice is the same as once.
 */
export class PostgresStore implements Store {
  private lastPrune = 0;

  private constructor(private readonly db: PostgresDatabase) {}

  /** Connects, migrates the schema if needed (under an advisory lock), and returns the store. */
  static async open(
    target: string | PostgresTarget,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    const db = new PostgresDatabase(
      typeof target === 'string' ? parsePostgresUrl(target) : target,
      options,
    );
    try {
      await db.ensureSchema();
    } catch (err) {
      await db.close();
      if (err instanceof PbtError) throw err;
      throw new PbtError(
        'STORE_UNAVAILABLE',
        `cannot open the PostgreSQL store ${db.where}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new PostgresStore(db);
  }

  /** The schema holding this store's tables. */
  get schema(): string {
    return this.db.schema;
  }

  async createExperiment(input: NewExperiment): Promise<ExperimentRecord> {
    const { experiment, members } = newExperiment(input);
    const row = experimentToRow(experiment);
    const memberRows = JSON.stringify(members.map(memberToRow));
    const writeId = randomUUID();
    return await this.write(async (tx, attempt) => {
      if (attempt > 0) {
        const done = await replay<ExperimentRecord>(tx, writeId);
        if (done) return done.outcome;
      }
      const inserted = await tx.query(
        `INSERT INTO experiments (id, task, config, seed, status, created_at, population_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [row.id, row.task, row.config, row.seed, row.status, row.created_at, row.population_size],
      );
      if (inserted.length === 0) {
        // Our own earlier attempt may be the one that created it.
        const done = attempt > 0 ? await replay<ExperimentRecord>(tx, writeId) : null;
        if (done) return done.outcome;
        throw new PbtError('EXISTS', `an experiment with id '${input.id}' already exists`);
      }
      await tx.query(
        `INSERT INTO members (${MEMBER_COLUMNS})
         SELECT ${MEMBER_COLUMNS} FROM json_populate_recordset(NULL::members, $1)`,
        [memberRows],
      );
      // Return what was stored, not the caller's (mutable) config object.
      const stored = experimentFromRow(row);
      await remember(tx, writeId, input.id, stored);
      return stored;
    });
  }

  async getExperiment(id: string): Promise<ExperimentRecord | null> {
    const rows = await this.db.query<ExperimentRow>('SELECT * FROM experiments WHERE id = $1', [
      id,
    ]);
    return rows[0] ? experimentFromRow(rows[0]) : null;
  }

  async listExperiments(): Promise<ExperimentRecord[]> {
    const rows = await this.db.query<ExperimentRow>(
      'SELECT * FROM experiments ORDER BY created_at DESC, id DESC',
    );
    return rows.map(experimentFromRow);
  }

  async setExperimentStatus(id: string, status: ExperimentStatus): Promise<void> {
    // Idempotent: running it twice leaves the same status.
    const rows = await this.db.query(
      'UPDATE experiments SET status = $1 WHERE id = $2 RETURNING id',
      [status, id],
    );
    if (rows.length === 0) throw new NotFoundError(`experiment '${id}'`);
  }

  async listMembers(experimentId: string): Promise<MemberRecord[]> {
    const rows = await this.db.query<MemberRow>(
      'SELECT * FROM members WHERE experiment_id = $1 ORDER BY id',
      [experimentId],
    );
    return rows.map(memberFromRow);
  }

  async claimMember(experimentId: string, opts: ClaimOptions): Promise<Lease | null> {
    await this.pruneWriteRecords();
    const writeId = randomUUID();
    return this.write(async (tx, attempt) => {
      if (attempt > 0) {
        const done = await replay<Lease | null>(tx, writeId);
        if (done) return done.outcome;
      }
      const active = await activeMembers(tx, experimentId);
      if (active.length === 0) {
        await assertExperimentExists(tx, experimentId);
        return null;
      }
      let untried = claimCandidates(active, opts).map((m) => m.id);
      while (untried.length > 0) {
        // The best candidate nobody else holds. The WHERE clause repeats the shared claimable
        // test only so that a row another claim just took is passed over in this statement;
        // the shared rule below has the last word.
        const locked = await tx.query<MemberRow>(
          `SELECT * FROM members
           WHERE experiment_id = $1 AND id = ANY($2::integer[])
             AND status IN ('pending', 'running')
             AND (lease_owner IS NULL OR lease_expires_at <= $3)
           ORDER BY array_position($2::integer[], id)
           LIMIT 1
           FOR NO KEY UPDATE SKIP LOCKED`,
          [experimentId, untried, opts.now],
        );
        const row = locked[0];
        if (row === undefined) return null;
        // The locked row is current. Only a barrier depends on the other members: re-read them.
        const member = memberFromRow(row);
        const population = opts.barrier
          ? (await activeMembers(tx, experimentId)).map((m) => (m.id === member.id ? member : m))
          : [member];
        if (claimCandidates(population, opts).some((m) => m.id === member.id)) {
          const lease = leaseOf(claimed(member, opts));
          await updateMember(tx, lease.member);
          await remember(tx, writeId, experimentId, lease);
          return lease;
        }
        untried = untried.filter((id) => id !== member.id);
      }
      return null;
    });
  }

  async heartbeat(lease: Lease, leaseMs: number, now: number): Promise<void> {
    await this.write(async (tx) => {
      const member = await lockMember(tx, lease);
      assertLeaseHeld(member, lease);
      await updateMember(tx, heartbeated(member, leaseMs, now));
    });
  }

  recordResult(lease: Lease, result: ReadyResult): Promise<void> {
    return this.leaseWrite(lease, async (tx, member) => {
      const next = withResult(member, result);
      const row = resultToRow(next.result);
      await tx.query(
        `INSERT INTO results (experiment_id, member_id, step, score, metrics, error, hparams,
           checkpoint, time, train_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          row.experiment_id,
          row.member_id,
          row.step,
          row.score,
          row.metrics,
          row.error,
          row.hparams,
          row.checkpoint,
          row.time,
          row.train_seconds,
        ],
      );
      await updateMember(tx, next.member);
      return undefined;
    });
  }

  applyDecision(
    lease: Lease,
    now: number,
    decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  ): Promise<AppliedDecision> {
    return this.leaseWrite(lease, async (tx) => {
      for (let round = 1; ; round++) {
        const members = (
          await tx.query<MemberRow>('SELECT * FROM members WHERE experiment_id = $1 ORDER BY id', [
            lease.experimentId,
          ])
        ).map(memberFromRow);
        const self = members.find((m) => m.id === lease.memberId);
        assertLeaseHeld(self, lease);
        const { applied, lineage } = decided(members, self, now, decide);
        if (lineage !== null) {
          const seen = members.find((m) => m.id === lineage.donor);
          const donorRows = await tx.query<MemberRow>(
            'SELECT * FROM members WHERE experiment_id = $1 AND id = $2 FOR SHARE',
            [lease.experimentId, lineage.donor],
          );
          const donor = donorRows[0] ? memberFromRow(donorRows[0]) : undefined;
          if (seen === undefined || donor === undefined || !sameDonorState(seen, donor)) {
            if (round >= MAX_DECISION_ROUNDS) throw new DecisionConflict(lease);
            continue;
          }
        }
        await updateMember(tx, applied.member);
        if (lineage !== null) {
          const row = lineageToRow(lineage);
          await tx.query(
            `INSERT INTO lineage (experiment_id, member_id, step, donor, donor_step,
               donor_checkpoint, old_hparams, new_hparams, operations, time)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [
              row.experiment_id,
              row.member_id,
              row.step,
              row.donor,
              row.donor_step,
              row.donor_checkpoint,
              row.old_hparams,
              row.new_hparams,
              row.operations,
              row.time,
            ],
          );
        }
        return applied;
      }
    });
  }

  release(lease: Lease): Promise<void> {
    return this.leaseWrite(lease, async (tx, member) => {
      await updateMember(tx, released(member));
      return undefined;
    });
  }

  failMember(lease: Lease, reason: string): Promise<void> {
    return this.leaseWrite(lease, async (tx, member) => {
      await updateMember(tx, failed(member, reason));
      return undefined;
    });
  }

  async listRecentResults(experimentId: string, limit: number): Promise<ResultRecord[]> {
    const rows = await this.db.query<ResultRow>(
      'SELECT * FROM results WHERE experiment_id = $1 ORDER BY id DESC LIMIT $2',
      [experimentId, limit],
    );
    return rows.reverse().map(resultFromRow);
  }

  async listResults(experimentId: string): Promise<ResultRecord[]> {
    const rows = await this.db.query<ResultRow>(
      'SELECT * FROM results WHERE experiment_id = $1 ORDER BY member_id, step, id',
      [experimentId],
    );
    return rows.map(resultFromRow);
  }

  async listLineage(experimentId: string): Promise<LineageEvent[]> {
    const rows = await this.db.query<LineageRow>(
      'SELECT * FROM lineage WHERE experiment_id = $1 ORDER BY id',
      [experimentId],
    );
    return rows.map(lineageFromRow);
  }

  async listResultsSince(experimentId: string, afterId: number): Promise<ResultRecord[]> {
    const rows = await this.db.query<ResultRow>(
      'SELECT * FROM results WHERE experiment_id = $1 AND id > $2 ORDER BY id',
      [experimentId, afterId],
    );
    return rows.map(resultFromRow);
  }

  async listLineageSince(experimentId: string, afterId: number): Promise<LineageEvent[]> {
    const rows = await this.db.query<LineageRow>(
      'SELECT * FROM lineage WHERE experiment_id = $1 AND id > $2 ORDER BY id',
      [experimentId, afterId],
    );
    return rows.map(lineageFromRow);
  }

  async referencedCheckpoints(): Promise<Set<string>> {
    const rows = await this.db.query<{ checkpoint: string }>(
      // Retention (Store contract): members' current checkpoints and each experiment's best result.
      `SELECT checkpoint FROM ${RETAINED} retained WHERE checkpoint IS NOT NULL`,
    );
    return new Set(rows.map((r) => r.checkpoint));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** A retried transaction; losing the write-id race to our own earlier attempt is retried too. */
  private write<T>(work: (tx: Queryable, attempt: number) => Promise<T>): Promise<T> {
    return this.db.transaction(
      work,
      (err) => isDuplicateWriteId(err) || err instanceof DecisionConflict,
    );
  }

  /**
   * A write on behalf of a lease: lock the member row, return the recorded outcome if an earlier
   * attempt of this very call committed, else check the fence and apply `change`.
   */
  private leaseWrite<T>(
    lease: Lease,
    change: (tx: Queryable, member: MemberRecord) => Promise<T>,
  ): Promise<T> {
    const writeId = randomUUID();
    return this.write(async (tx, attempt) => {
      const member = await lockMember(tx, lease);
      if (attempt > 0) {
        const done = await replay<T>(tx, writeId);
        if (done) return done.outcome;
      }
      assertLeaseHeld(member, lease);
      const outcome = await change(tx, member);
      await remember(tx, writeId, lease.experimentId, outcome);
      return outcome;
    });
  }

  /** Drops write records nobody can still be retrying; at most every few minutes per process. */
  private async pruneWriteRecords(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.db.query(
      `DELETE FROM writes WHERE created_at < now() - interval '${WRITE_RECORD_TTL}'`,
    );
  }
}

/** The donor as `decide` saw it is still the donor now: same step, score, weights, hparams. */
function sameDonorState(seen: MemberRecord, now: MemberRecord): boolean {
  const a = toView(seen);
  const b = toView(now);
  return (
    a.step === b.step &&
    a.score === b.score &&
    a.checkpoint === b.checkpoint &&
    JSON.stringify(a.hparams) === JSON.stringify(b.hparams)
  );
}

/** The donor kept changing under a decision: start the transaction over. */
class DecisionConflict extends PbtError {
  constructor(lease: Lease) {
    super(
      'CONFLICT',
      `member ${lease.memberId}: the chosen donor changed ${MAX_DECISION_ROUNDS} times while deciding`,
    );
  }
}

function isDuplicateWriteId(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'writes_pkey';
}

async function replay<T>(tx: Queryable, writeId: string): Promise<{ outcome: T } | null> {
  const rows = await tx.query<{ outcome: string | null }>(
    'SELECT outcome FROM writes WHERE id = $1',
    [writeId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return { outcome: (row.outcome === null ? undefined : JSON.parse(row.outcome)) as T };
}

async function remember(
  tx: Queryable,
  writeId: string,
  experimentId: string,
  outcome: unknown,
): Promise<void> {
  await tx.query('INSERT INTO writes (id, experiment_id, outcome) VALUES ($1, $2, $3)', [
    writeId,
    experimentId,
    outcome === undefined ? null : toJson(outcome, 'write outcome'),
  ]);
}

async function lockMember(tx: Queryable, lease: Lease): Promise<MemberRecord | undefined> {
  const rows = await tx.query<MemberRow>(
    'SELECT * FROM members WHERE experiment_id = $1 AND id = $2 FOR NO KEY UPDATE',
    [lease.experimentId, lease.memberId],
  );
  return rows[0] ? memberFromRow(rows[0]) : undefined;
}

/**
 * The active members as the claim rule needs them: without their hyperparameters, which ranking
 * never reads and which dominate the cost of reading a large population. Never written back.
 */
async function activeMembers(tx: Queryable, experimentId: string): Promise<MemberRecord[]> {
  const rows = await tx.query<MemberRow>(
    `SELECT experiment_id, id, '{}' AS hparams, step, score, last_failed, checkpoint, status,
       decision_due, consecutive_failures, failure_reason, lease_owner, lease_expires_at, token
     FROM members WHERE experiment_id = $1 AND status IN ('pending', 'running')
     ORDER BY step, id`,
    [experimentId],
  );
  return rows.map(memberFromRow);
}

async function assertExperimentExists(tx: Queryable, experimentId: string): Promise<void> {
  const rows = await tx.query('SELECT 1 FROM experiments WHERE id = $1', [experimentId]);
  if (rows.length === 0) throw new NotFoundError(`experiment '${experimentId}'`);
}

/** Every member row is written back whole: the shared transitions decide what changed. */
async function updateMember(tx: Queryable, member: MemberRecord): Promise<void> {
  const row = memberToRow(member);
  await tx.query(
    `UPDATE members SET hparams = $3, step = $4, score = $5, last_failed = $6, checkpoint = $7,
       status = $8, decision_due = $9, consecutive_failures = $10, failure_reason = $11,
       lease_owner = $12, lease_expires_at = $13, token = $14
     WHERE experiment_id = $1 AND id = $2`,
    [
      row.experiment_id,
      row.id,
      row.hparams,
      row.step,
      row.score,
      row.last_failed,
      row.checkpoint,
      row.status,
      row.decision_due,
      row.consecutive_failures,
      row.failure_reason,
      row.lease_owner,
      row.lease_expires_at,
      row.token,
    ],
  );
}
