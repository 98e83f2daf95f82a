import Database from 'better-sqlite3';
import { NotFoundError, PbtError } from '../../core/errors.js';
import type { Decision, MemberView, PopulationSnapshot } from '../../core/types.js';
import { asPromise } from '../shared/as-promise.js';
import {
  assertGivesLeaseBack,
  assertLeaseHeld,
  claimed,
  decided,
  failed,
  heartbeated,
  leaseOf,
  newExperiment,
  pickClaim,
  released,
  withResult,
} from '../shared/member-transitions.js';
import {
  experimentFromRow,
  experimentToRow,
  lineageFromRow,
  lineageToRow,
  memberFromRow,
  memberToRow,
  resultToRow,
  type ExperimentRow,
  type LineageRow,
  type MemberRow,
  type ResultRow,
  type Unnumbered,
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
import { applyMigrations } from './migrations.js';
import { RESULT_COLUMNS, resultsFromCells, type ResultCells } from './result-cells.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another process's transaction before failing (ms). */
  readonly busyTimeoutMs?: number;
  /**
   * Open an existing file for reading only (dashboard, reports): no migration, no pragma
   * writes; SQLite itself refuses every write. WAL readers never block the workers' writes.
   */
  readonly readOnly?: boolean;
}

/** Every statement the store runs, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    insertExperiment: db.prepare<[ExperimentRow]>(
      `INSERT INTO experiments (id, task, config, seed, status, created_at, population_size)
       VALUES (@id, @task, @config, @seed, @status, @created_at, @population_size)`,
    ),
    getExperiment: db.prepare<[string], ExperimentRow>('SELECT * FROM experiments WHERE id = ?'),
    listExperiments: db.prepare<[], ExperimentRow>(
      'SELECT * FROM experiments ORDER BY created_at DESC, id DESC',
    ),
    setExperimentStatus: db.prepare<[string, string]>(
      'UPDATE experiments SET status = ? WHERE id = ?',
    ),
    insertMember: db.prepare<[MemberRow]>(
      `INSERT INTO members (experiment_id, id, hparams, step, score, last_failed, checkpoint, status,
         decision_due, consecutive_failures, failure_reason, lease_owner, lease_expires_at, token)
       VALUES (@experiment_id, @id, @hparams, @step, @score, @last_failed, @checkpoint, @status,
         @decision_due, @consecutive_failures, @failure_reason, @lease_owner, @lease_expires_at,
         @token)`,
    ),
    /** Every member row is written back whole: the transitions decide what changed. */
    updateMember: db.prepare<[MemberRow]>(
      `UPDATE members SET hparams = @hparams, step = @step, score = @score,
         last_failed = @last_failed, checkpoint = @checkpoint, status = @status,
         decision_due = @decision_due, consecutive_failures = @consecutive_failures,
         failure_reason = @failure_reason, lease_owner = @lease_owner,
         lease_expires_at = @lease_expires_at, token = @token
       WHERE experiment_id = @experiment_id AND id = @id`,
    ),
    getMember: db.prepare<[string, number], MemberRow>(
      'SELECT * FROM members WHERE experiment_id = ? AND id = ?',
    ),
    listMembers: db.prepare<[string], MemberRow>(
      'SELECT * FROM members WHERE experiment_id = ? ORDER BY id',
    ),
    /** The claim's candidates: the active members (the barrier step is the lowest among them). */
    listActiveMembers: db.prepare<[string], MemberRow>(
      `SELECT * FROM members
       WHERE experiment_id = ? AND status IN ('pending', 'running')
       ORDER BY step, id`,
    ),
    insertResult: db.prepare<[Unnumbered<ResultRow>]>(
      `INSERT INTO results (experiment_id, member_id, step, score, metrics, error, hparams,
         checkpoint, time, train_seconds)
       VALUES (@experiment_id, @member_id, @step, @score, @metrics, @error, @hparams,
         @checkpoint, @time, @train_seconds)`,
    ),
    listResults: db
      .prepare<[string], ResultCells>(
        `SELECT ${RESULT_COLUMNS} FROM results WHERE experiment_id = ? ORDER BY member_id, step, id`,
      )
      .raw(),
    listRecentResults: db
      .prepare<[string, number], ResultCells>(
        `SELECT ${RESULT_COLUMNS} FROM results WHERE experiment_id = ? ORDER BY id DESC LIMIT ?`,
      )
      .raw(),
    insertLineage: db.prepare<[Unnumbered<LineageRow>]>(
      `INSERT INTO lineage (experiment_id, member_id, step, donor, donor_step, donor_checkpoint,
         old_hparams, new_hparams, operations, time)
       VALUES (@experiment_id, @member_id, @step, @donor, @donor_step, @donor_checkpoint,
         @old_hparams, @new_hparams, @operations, @time)`,
    ),
    listLineage: db.prepare<[string], LineageRow>(
      'SELECT * FROM lineage WHERE experiment_id = ? ORDER BY id',
    ),
    // Walks the table in id order from the cursor: a dashboard's poll reads only the new rows
    // (through the experiment's index it read every row of the experiment, then sorted them).
    listResultsSince: db
      .prepare<[string, number], ResultCells>(
        `SELECT ${RESULT_COLUMNS} FROM results NOT INDEXED
         WHERE experiment_id = ? AND id > ? ORDER BY id`,
      )
      .raw(),
    listLineageSince: db.prepare<[string, number], LineageRow>(
      'SELECT * FROM lineage WHERE experiment_id = ? AND id > ? ORDER BY id',
    ),
    referencedCheckpoints: db.prepare<[], { checkpoint: string }>(
      // Retention (Store contract): members' current checkpoints and each experiment's best result.
      `SELECT checkpoint FROM ${RETAINED} WHERE checkpoint IS NOT NULL`,
    ),
  };
}

/** Checkpoints to keep; the same query in every SQL store (see Store.referencedCheckpoints). */
const RETAINED = `(
        SELECT checkpoint FROM members WHERE checkpoint IS NOT NULL
        UNION
        SELECT (
          SELECT r.checkpoint FROM results r
          WHERE r.experiment_id = e.id AND r.checkpoint IS NOT NULL AND r.score IS NOT NULL
          ORDER BY r.score DESC, r.id ASC LIMIT 1
        ) AS checkpoint FROM experiments e
      )`;

/**
 * The embedded population store: one SQLite file shared by every worker process on a machine.
 * WAL lets readers (dashboard, reports) run beside a writer; every read-then-write runs in a
 * `BEGIN IMMEDIATE` transaction, which takes the write lock up front, so two processes can never
 * both read a member as free and both claim it.
 */
export class SqliteStore implements Store {
  /** Every write holds the one write lock, ids included: rows appear in id order. */
  readonly idsVisibleInOrder = true;
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    const readOnly = options.readOnly === true;
    this.db = new Database(path, {
      timeout: options.busyTimeoutMs ?? 10_000,
      readonly: readOnly,
      fileMustExist: readOnly,
    });
    try {
      if (readOnly) {
        this.sql = prepareStatements(this.db);
        return;
      }
      this.db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL never corrupts the database; an OS crash may lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      applyMigrations(this.db, path, Date.now());
      this.sql = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /**
   * Runs `work` holding the database's write lock from the start; rolls back if it throws.
   * When the lock stays taken past busy_timeout (many processes on an overloaded machine), the
   * whole transaction is retried with backoff: it was rolled back, and `work` touches nothing
   * outside the database, so a retry is safe.
   */
  private async write<T>(work: () => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.db.transaction(work).immediate();
      } catch (err) {
        if (!isBusy(err) || attempt >= BUSY_RETRIES) throw err;
        await sleep(Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  private memberOf(lease: Lease): MemberRecord | undefined {
    const row = this.sql.getMember.get(lease.experimentId, lease.memberId);
    return row === undefined ? undefined : memberFromRow(row);
  }

  createExperiment(input: NewExperiment): Promise<ExperimentRecord> {
    return this.write(() => {
      if (this.sql.getExperiment.get(input.id) !== undefined) {
        throw new PbtError('EXISTS', `an experiment with id '${input.id}' already exists`);
      }
      const { experiment, members } = newExperiment(input);
      const row = experimentToRow(experiment);
      this.sql.insertExperiment.run(row);
      for (const member of members) this.sql.insertMember.run(memberToRow(member));
      // Return what was stored, not the caller's (mutable) config object.
      return experimentFromRow(row);
    });
  }

  getExperiment(id: string): Promise<ExperimentRecord | null> {
    return asPromise(() => {
      const row = this.sql.getExperiment.get(id);
      return row === undefined ? null : experimentFromRow(row);
    });
  }

  listExperiments(): Promise<ExperimentRecord[]> {
    return asPromise(() => this.sql.listExperiments.all().map(experimentFromRow));
  }

  setExperimentStatus(id: string, status: ExperimentStatus): Promise<void> {
    return this.write(() => {
      if (this.sql.setExperimentStatus.run(status, id).changes === 0) {
        throw new NotFoundError(`experiment '${id}'`);
      }
    });
  }

  listMembers(experimentId: string): Promise<MemberRecord[]> {
    return asPromise(() => this.sql.listMembers.all(experimentId).map(memberFromRow));
  }

  claimMember(experimentId: string, opts: ClaimOptions): Promise<Lease | null> {
    return this.write(() => this.claimNow(experimentId, opts));
  }

  /** claimMember's work, inside a write transaction. */
  private claimNow(experimentId: string, opts: ClaimOptions): Lease | null {
    const experiment = this.sql.getExperiment.get(experimentId);
    if (experiment === undefined) throw new NotFoundError(`experiment '${experimentId}'`);
    if (opts.whileRunning === true && experiment.status !== 'running') return null;
    const active = this.sql.listActiveMembers.all(experimentId).map(memberFromRow);
    const chosen = pickClaim(active, opts);
    if (chosen === null) return null;
    const member = claimed(chosen, opts);
    this.sql.updateMember.run(memberToRow(member));
    return leaseOf(member);
  }

  heartbeat(lease: Lease, leaseMs: number, now: number): Promise<void> {
    return this.write(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.sql.updateMember.run(memberToRow(heartbeated(member, leaseMs, now)));
    });
  }

  recordResult(lease: Lease, result: ReadyResult): Promise<void> {
    return this.write(() => this.recordNow(lease, result));
  }

  /** recordResult's work, inside a write transaction. */
  private recordNow(lease: Lease, result: ReadyResult): void {
    const member = this.memberOf(lease);
    assertLeaseHeld(member, lease);
    const next = withResult(member, result);
    this.sql.insertResult.run(resultToRow(next.result));
    this.sql.updateMember.run(memberToRow(next.member));
  }

  /**
   * The record and the claim right after it (the recorded member preferred) in one write
   * transaction: one take of the write lock per ready point fewer when processes share a file.
   */
  recordAndClaim(lease: Lease, result: ReadyResult, claim: ClaimOptions): Promise<Lease | null> {
    return this.write(() => {
      assertGivesLeaseBack(result);
      this.recordNow(lease, result);
      return this.claimNow(lease.experimentId, { ...claim, preferMember: lease.memberId });
    });
  }

  applyDecision(
    lease: Lease,
    now: number,
    decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  ): Promise<AppliedDecision> {
    return this.write(() => {
      const members = this.sql.listMembers.all(lease.experimentId).map(memberFromRow);
      const self = members.find((m) => m.id === lease.memberId);
      assertLeaseHeld(self, lease);
      const { applied, lineage } = decided(members, self, now, decide);
      this.sql.updateMember.run(memberToRow(applied.member));
      if (lineage !== null) this.sql.insertLineage.run(lineageToRow(lineage));
      return applied;
    });
  }

  release(lease: Lease): Promise<void> {
    return this.write(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.sql.updateMember.run(memberToRow(released(member)));
    });
  }

  failMember(lease: Lease, reason: string): Promise<void> {
    return this.write(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.sql.updateMember.run(memberToRow(failed(member, reason)));
    });
  }

  listResults(experimentId: string): Promise<ResultRecord[]> {
    return asPromise(() => resultsFromCells(experimentId, this.sql.listResults.all(experimentId)));
  }

  listRecentResults(experimentId: string, limit: number): Promise<ResultRecord[]> {
    return asPromise(() =>
      resultsFromCells(experimentId, this.sql.listRecentResults.all(experimentId, limit).reverse()),
    );
  }

  listLineage(experimentId: string): Promise<LineageEvent[]> {
    return asPromise(() => this.sql.listLineage.all(experimentId).map(lineageFromRow));
  }

  listResultsSince(experimentId: string, afterId: number): Promise<ResultRecord[]> {
    return asPromise(() =>
      resultsFromCells(experimentId, this.sql.listResultsSince.all(experimentId, afterId)),
    );
  }

  listLineageSince(experimentId: string, afterId: number): Promise<LineageEvent[]> {
    return asPromise(() =>
      this.sql.listLineageSince.all(experimentId, afterId).map(lineageFromRow),
    );
  }

  referencedCheckpoints(): Promise<Set<string>> {
    return asPromise(
      () => new Set(this.sql.referencedCheckpoints.all().map((row) => row.checkpoint)),
    );
  }

  close(): Promise<void> {
    return asPromise(() => {
      if (this.db.open) this.db.close();
    });
  }
}

/** Attempts of a write transaction whose lock stayed busy past busy_timeout. */
const BUSY_RETRIES = 30;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
