import { randomUUID } from 'node:crypto';
import { LeaseLostError, NotFoundError, PbtError } from '../../core/errors.js';
import type { Decision, MemberView, PopulationSnapshot } from '../../core/types.js';
import {
  assertGivesLeaseBack,
  assertLeaseHeld,
  decided,
  leaseExpiry,
  leaseOf,
  newExperiment,
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
import {
  CLAIM,
  DECIDE,
  END_LEASE,
  EXPERIMENT,
  HEARTBEAT,
  MEMBER_COLUMNS,
  RECORD,
  RECORD_AND_CLAIM,
  type ClaimPart,
  type RecordAndClaimPart,
} from './lease-statements.js';
import { PopulationCache } from './population-cache.js';

export type PostgresStoreOptions = PostgresDatabaseOptions;

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
 * - A claim takes the first claimable member in the shared order that no other transaction
 *   holds (`FOR NO KEY UPDATE SKIP LOCKED`, along the claim-order index), so concurrent claims
 *   spread over different members instead of queueing on one; a row changed meanwhile is
 *   re-checked after locking. In the same statement it checks the experiment is running and,
 *   when the member has a decision due, reads the population delta for that decision (CLAIM
 *   in lease-statements.ts). The claim usually rides on the record of the worker's previous
 *   ready point (`recordAndClaim`, RECORD_AND_CLAIM): a ready point is two round trips (the
 *   decision, then record + release + next claim).
 * - Every write for a lease first locks its member row; fencing (token + owner) is then checked
 *   on the row as it is now, and no other writer can change it before we commit.
 * - `applyDecision` takes the population its claim read (or reads it: one consistent
 *   snapshot), lets `decide` choose, and for an exploit locks the donor row `FOR SHARE` before
 *   writing. If the donor changed between the snapshot and the lock (it recorded a result or
 *   exploited someone itself), the decision is made again on fresh data. Holding the donor's
 *   lock until commit means the donor cannot move its checkpoint on before this member
 *   references it, so a checkpoint is never unreferenced in between (and never
 *   garbage-collected while in use), and the lineage event records exactly the donor state
 *   that was copied. The rest of the
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
  /** What this process last read of each population: decisions read only what changed. */
  private readonly population = new PopulationCache();
  /** The lease whose claim also read the population (its decision needs no read of its own). */
  private prefetched: Lease | null = null;

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
      // Fresh planner statistics for the new rows: without them the planner may take a new,
      // large population for a handful of rows and plan claims as a sort of every member
      // rather than a walk along the claim-order index (autovacuum would only catch up after
      // hundreds of claims, and each worker keeps its plan until then). A role that does not
      // own the table gets a warning and nothing else.
      await tx.query('ANALYZE members');
      // Return what was stored, not the caller's (mutable) config object.
      const stored = experimentFromRow(row);
      await remember(tx, writeId, input.id, stored);
      return stored;
    });
  }

  async getExperiment(id: string): Promise<ExperimentRecord | null> {
    const rows = await this.db.query<ExperimentRow>(EXPERIMENT.sql, [id], EXPERIMENT.name);
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
    const expiry = leaseExpiry(opts.now, opts.leaseMs);
    const writeId = randomUUID();
    // A claim commits without waiting for the WAL flush ('relaxed'): if a server crash undoes
    // it, nobody holds the lease any more, and its worker's next write fails the fence.
    return this.db.autocommit(
      async (db, attempt) => {
        if (attempt > 0) {
          // The earlier attempt recorded the claimed row (row_to_json).
          const done = await replay<MemberRow>(db, writeId);
          if (done) return leaseOf(memberFromRow(done.outcome));
        }
        const rows = await db.query<ClaimRow>(
          CLAIM.sql,
          [
            experimentId,
            opts.now,
            [...(opts.exclude ?? [])],
            opts.barrier === true,
            opts.preferMember ?? -1,
            opts.workerId,
            expiry,
            writeId,
            opts.whileRunning === true,
            this.population.horizonOf(experimentId),
          ],
          CLAIM.name,
        );
        const status = rows.find((r) => r.part === 'status');
        const row = rows.find((r) => r.part === 'claimed');
        if (row === undefined) {
          if (status?.experiment_status === null) {
            throw new NotFoundError(`experiment '${experimentId}'`);
          }
          return null;
        }
        return this.leaseFromAnswer(experimentId, rows, row, [row]);
      },
      { durability: 'relaxed', alsoRetry: isDuplicateWriteId },
    );
  }

  async heartbeat(lease: Lease, leaseMs: number, now: number): Promise<void> {
    const expiry = leaseExpiry(now, leaseMs);
    // Extending a lease twice is the same as once: no write id. A lost renewal (server crash)
    // only shortens the lease: 'relaxed'.
    const rows = await this.db.autocommit(
      (db) =>
        db.query(
          HEARTBEAT.sql,
          [lease.experimentId, lease.memberId, lease.token, lease.workerId, expiry],
          HEARTBEAT.name,
        ),
      { durability: 'relaxed' },
    );
    if (rows.length === 0) throw new LeaseLostError(lease.experimentId, lease.memberId);
  }

  async recordResult(lease: Lease, result: ReadyResult): Promise<void> {
    const parameters = recordParameters(lease, result);
    await this.fencedWrite(lease, async (db, writeId) => {
      const rows = await db.query<{ n: number }>(RECORD.sql, [...parameters, writeId], RECORD.name);
      return rows[0]?.n === 1 ? { written: true, outcome: undefined } : { written: false };
    });
  }

  /**
   * The lease of a claim's answer (CLAIM or RECORD_AND_CLAIM) for its `claimed` row. When that
   * member has a decision due, the same statement read what changed in the population since
   * the horizon: it is merged, with the rows the statement itself wrote (`written`, newer than
   * its snapshot), and applyDecision uses it instead of reading again.
   */
  private leaseFromAnswer(
    experimentId: string,
    rows: readonly (MemberRow & { readonly part: string; readonly horizon: string | null })[],
    claimed: MemberRow,
    written: readonly MemberRow[],
  ): Lease {
    const lease = leaseOf(memberFromRow(claimed));
    const horizon = rows.find((r) => r.part === 'status')?.horizon;
    if (typeof horizon === 'string') {
      this.population.merge(
        experimentId,
        horizon,
        rows.filter((r) => r.part === 'member'),
        written,
      );
      this.prefetched = lease;
    }
    return lease;
  }

  /**
   * recordResult and the claim that would follow it as one statement (RECORD_AND_CLAIM): two
   * round trips per ready point instead of three. Null: recorded, nothing claimed (the caller
   * claims on its own).
   */
  async recordAndClaim(
    lease: Lease,
    result: ReadyResult,
    claim: ClaimOptions,
  ): Promise<Lease | null> {
    assertGivesLeaseBack(result);
    const parameters = recordParameters(lease, result);
    const expiry = leaseExpiry(claim.now, claim.leaseMs);
    await this.pruneWriteRecords();
    const { experimentId } = lease;
    // The lease made by this call's own statement; a retry that finds an earlier attempt
    // committed gets the claimed row from the write record instead.
    let fresh: Lease | null = null;
    const claimedRow = await this.fencedWrite<MemberRow | null>(lease, async (db, writeId) => {
      const rows = await db.query<Omit<ClaimRow, 'part'> & { part: RecordAndClaimPart }>(
        RECORD_AND_CLAIM.sql,
        [
          ...parameters,
          writeId,
          claim.now,
          [...(claim.exclude ?? [])],
          claim.barrier === true,
          claim.whileRunning === true,
          this.population.horizonOf(experimentId),
          expiry,
        ],
        RECORD_AND_CLAIM.name,
      );
      const recorded = rows.find((r) => r.part === 'recorded');
      if (recorded === undefined) return { written: false };
      const claimed = rows.find((r) => r.part === 'claimed');
      if (claimed === undefined) return { written: true, outcome: null };
      // Both rows this statement wrote are newer than its snapshot.
      fresh = this.leaseFromAnswer(experimentId, rows, claimed, [recorded, claimed]);
      return { written: true, outcome: claimed };
    });
    if (claimedRow === null) return null;
    return fresh ?? leaseOf(memberFromRow(claimedRow));
  }

  /**
   * Reads the population (no locks; the claim of this lease may have read it already), lets
   * `decide` choose, and writes the outcome with one statement that checks the fence and, for
   * an exploit, that the donor is still as `decide` saw it (locking it until commit; see
   * DECIDE). If the donor moved in between, decide again on a fresh read. The rest of the
   * population is only a ranking input: a statement-level snapshot of it is what a serial
   * execution at that instant would have seen, so SERIALIZABLE (with its false-positive aborts
   * on a table every worker writes) buys nothing here. Only this lease's holder writes the
   * member's own row, so the row read is current while the fence holds. Two decisions that take each other as donors may deadlock; PostgreSQL aborts
   * one and it is retried.
   */
  applyDecision(
    lease: Lease,
    now: number,
    decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  ): Promise<AppliedDecision> {
    // The population the claim of this very lease read, if it did (a moment old: as good a
    // ranking input as a read now; the donor is checked when writing).
    const prefetched = this.prefetched === lease;
    this.prefetched = null;
    return this.fencedWrite(lease, async (db, writeId) => {
      for (let round = 1; ; round++) {
        const { rows, members, snapshot } =
          prefetched && round === 1
            ? this.population.current(lease.experimentId)
            : await this.population.read(db, lease.experimentId);
        const self = members.find((m) => m.id === lease.memberId);
        assertLeaseHeld(self, lease);
        const { applied, lineage } = decided(members, self, now, decide, snapshot);
        const donorRow = lineage === null ? undefined : rows.find((r) => r.id === lineage.donor);
        const next = memberToRow(applied.member);
        const event = lineage === null ? null : lineageToRow(lineage);
        const written = await db.query<{ n: number; donor_held: boolean }>(
          DECIDE.sql,
          [
            lease.experimentId,
            lease.memberId,
            lease.token,
            lease.workerId,
            donorRow?.id ?? null,
            donorRow?.step ?? null,
            donorRow?.score ?? null,
            donorRow?.checkpoint ?? null,
            donorRow?.hparams ?? null,
            next.hparams,
            next.checkpoint,
            next.status,
            next.failure_reason,
            next.lease_owner === null,
            self.step,
            event?.old_hparams ?? null,
            event?.operations ?? null,
            now,
            writeId,
            toJson(applied, 'write outcome'),
          ],
          DECIDE.name,
        );
        const outcome = written[0];
        if (outcome?.n === 1) return { written: true, outcome: applied };
        if (outcome?.donor_held === false) {
          if (round >= MAX_DECISION_ROUNDS) throw new DecisionConflict(lease);
          continue;
        }
        return { written: false };
      }
    });
  }

  release(lease: Lease): Promise<void> {
    return this.endLease(lease, 'pending', null);
  }

  failMember(lease: Lease, reason: string): Promise<void> {
    return this.endLease(lease, 'failed', reason);
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

  /** Release ('pending') or fail ('failed', with the reason) the leased member. */
  private endLease(
    lease: Lease,
    status: 'pending' | 'failed',
    reason: string | null,
  ): Promise<void> {
    return this.fencedWrite(lease, async (db, writeId) => {
      const rows = await db.query<{ n: number }>(
        END_LEASE.sql,
        [lease.experimentId, lease.memberId, lease.token, lease.workerId, status, reason, writeId],
        END_LEASE.name,
      );
      return rows[0]?.n === 1 ? { written: true, outcome: undefined } : { written: false };
    });
  }

  /**
   * A write on behalf of a lease as single fenced statements (lease-statements.ts), durable,
   * retried through connection loss. `write` reports whether its statement matched the member
   * row (the fence held). A retry first looks for its own write id: if an earlier attempt
   * committed (its COMMIT reply was lost), its recorded outcome is returned. When the statement
   * matched nothing on a retry, the earlier attempt may have committed while this one waited for
   * the row (and then no longer matched, e.g. after a release): look again before calling the
   * lease lost. If the earlier attempt is still running, this one's write id collides with it
   * (primary key) and the retry after that finds it.
   */
  private fencedWrite<T>(
    lease: Lease,
    write: (
      db: Queryable,
      writeId: string,
    ) => Promise<{ readonly written: true; readonly outcome: T } | { readonly written: false }>,
  ): Promise<T> {
    const writeId = randomUUID();
    return this.db.autocommit(
      async (db, attempt) => {
        if (attempt > 0) {
          const done = await replay<T>(db, writeId);
          if (done) return done.outcome;
        }
        const result = await write(db, writeId);
        if (result.written) return result.outcome;
        if (attempt > 0) {
          const done = await replay<T>(db, writeId);
          if (done) return done.outcome;
        }
        throw new LeaseLostError(lease.experimentId, lease.memberId);
      },
      { alsoRetry: (err) => isDuplicateWriteId(err) || err instanceof DecisionConflict },
    );
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

/**
 * RECORD's parameters $1–$16 (also RECORD_AND_CLAIM's; $17 is the write id): the shared rule
 * validates the result (throwing before anything is written) and says what the member becomes;
 * the parts that depend on the row as it is now (kept score and checkpoint, failure count) are
 * computed in SQL.
 */
function recordParameters(lease: Lease, result: ReadyResult): unknown[] {
  const next = withResult(lease.member, result);
  const row = resultToRow(next.result);
  return [
    lease.experimentId,
    lease.memberId,
    lease.token,
    lease.workerId,
    row.step,
    result.metrics !== null,
    row.score,
    row.checkpoint,
    next.member.decisionDue ? 1 : 0,
    next.member.status,
    next.member.leaseOwner === null,
    row.metrics,
    row.error,
    row.hparams,
    row.time,
    row.train_seconds,
  ];
}

/** A row of the claim's answer (CLAIM in lease-statements.ts). */
type ClaimRow = MemberRow & {
  readonly part: ClaimPart;
  readonly experiment_status: string | null;
  readonly horizon: string | null;
};

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
