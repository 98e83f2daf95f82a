import type {
  Decision,
  Hparams,
  MemberId,
  MemberStatus,
  MemberView,
  Metrics,
  PopulationSnapshot,
} from '../core/types.js';

/**
 * The population store: the only shared state of an experiment. There is no head node; every
 * worker reads and writes the population through this interface.
 *
 * Contract (every implementation passes src/testing/store-conformance.ts):
 * - Experiments and their config are immutable once created, except `status`.
 * - A member is owned by at most one worker at a time through a lease. `claimMember` is atomic:
 *   two concurrent claims never return the same member. A lease whose `expiresAt` has passed may
 *   be claimed by anyone; each claim increments the member's fencing `token`.
 * - Every write on behalf of a lease (`heartbeat`, `recordResult`, `applyDecision`, `release`,
 *   `failMember`) carries the token and fails with `LeaseLostError` when the member was claimed
 *   since (by anyone, even the same worker id) or the lease was given up (released, done, stopped,
 *   failed), so a stale worker never overwrites the new owner's results. An expired lease that
 *   nobody has claimed yet is still held: its owner may keep writing, and `heartbeat` renews it.
 * - Only finite numbers are stored: a non-finite score, metric or hyperparameter is refused with
 *   a PbtError (code 'NON_FINITE'); a failed ready point has `metrics: null` and an `error`.
 * - Results and lineage events are append-only and never modified.
 * - `applyDecision` reads the population, calls the (pure, synchronous) decide function and
 *   writes its outcome (new hyperparameters, the donor's checkpoint, the lineage event) in one
 *   transaction: the donor's checkpoint becomes referenced by the member before any other
 *   worker could garbage-collect it.
 * - Checkpoint references: a checkpoint key is referenced while it is some member's current
 *   checkpoint (which, once the member is done, is its final one) or the checkpoint of the best
 *   result (highest score; the earliest on a tie) of its experiment (`referencedCheckpoints`, the documented retention
 *   of docs/reliability.md); only unreferenced keys may be deleted.
 */
export interface Store {
  /** Members start 'pending' at step 0 with token 0. A taken id throws PbtError 'EXISTS'. */
  createExperiment(input: NewExperiment): Promise<ExperimentRecord>;
  getExperiment(id: string): Promise<ExperimentRecord | null>;
  /** Newest first. */
  listExperiments(): Promise<ExperimentRecord[]>;
  /** Throws NotFoundError for an unknown experiment. */
  setExperimentStatus(id: string, status: ExperimentStatus): Promise<void>;

  /** Members in id order, with lease details. */
  listMembers(experimentId: string): Promise<MemberRecord[]>;

  /**
   * Atomically lease one claimable member, or return null when none is claimable now.
   * Claimable: never 'done'/'failed'; 'pending' (no lease) or 'running' with an expired lease
   * (`leaseExpiresAt <= now`); and, when `barrier` is set (synchronous mode), `step` equal to the
   * lowest step among all members not done/failed (so a leased member at that step holds the
   * others back). Preference: lowest `step` first (least-advanced), then `preferMember`
   * (the member whose state the worker still has in memory), then lowest id.
   * The claim sets status 'running', the lease, and increments the token. With `whileRunning`,
   * nothing is claimed unless the experiment's status is 'running' (checked in the same atomic
   * step), so a worker need not read the experiment before every claim.
   * Throws NotFoundError for an unknown experiment.
   */
  claimMember(experimentId: string, opts: ClaimOptions): Promise<Lease | null>;

  /** Extend a lease. Throws LeaseLostError if the token is stale. */
  heartbeat(lease: Lease, leaseMs: number, now: number): Promise<void>;

  /**
   * Record the evaluation at a ready point: appends a result row, sets the member's step,
   * score (unless failed), checkpoint, and `decisionDue`. When `done` the member's status becomes
   * 'done' and its lease is released; otherwise, with `result.release`, the lease is given
   * back as by `release`, in the same write. Throws LeaseLostError if the token is stale.
   */
  recordResult(lease: Lease, result: ReadyResult): Promise<void>;

  /**
   * Optional: `recordResult` (which must give the lease back: `release` or `done`) and, in the
   * same atomic write, the claim `claimMember(lease.experimentId, { ...claim, preferMember:
   * lease.memberId })` would make right after it — another member, or the recorded member
   * itself, which then keeps its lease under a new token. Returns the new lease, or null when
   * the result was recorded and nothing was claimed (the caller then claims as usual). One
   * round trip (or one write transaction) where `recordResult` + `claimMember` are two:
   * implemented by the PostgreSQL and SQLite stores; the worker falls back to the two calls on
   * stores without it (the memory store). Throws LeaseLostError (nothing recorded or claimed)
   * if the token is stale.
   */
  recordAndClaim?(lease: Lease, result: ReadyResult, claim: ClaimOptions): Promise<Lease | null>;

  /**
   * Apply a decision due for this member (see contract above). `decide` gets the member and the
   * population snapshot read inside the transaction. For 'exploit', the member's hyperparameters
   * become `decision.hparams`, its checkpoint the donor's, and a lineage event is appended.
   * For 'stop', the member's status becomes 'failed' with the reason and the lease ends; for
   * 'retire' (finished early, e.g. ASHA), 'done' and the lease ends.
   * Clears `decisionDue`. Returns the decision, for exploit the donor's checkpoint key, and the
   * updated member. An exploit of an unknown donor, of itself, or of a donor without a checkpoint
   * throws PbtError 'INVALID_DECISION'; like any error thrown by `decide`, it changes nothing.
   */
  applyDecision(
    lease: Lease,
    now: number,
    decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  ): Promise<AppliedDecision>;

  /** Give the member back (status 'pending', lease cleared); used on clean stop and time-multiplexing. */
  release(lease: Lease): Promise<void>;

  /** Mark a member 'failed' for good (e.g. too many consecutive failures); the lease ends. */
  failMember(lease: Lease, reason: string): Promise<void>;

  /** Every result of an experiment, ordered by (memberId, step, id). */
  listResults(experimentId: string): Promise<ResultRecord[]>;
  /**
   * The experiment's `limit` most recently recorded results (highest ids), oldest first: the
   * bounded read behind history-reading selection rules (fitness windows, t-test, PB2).
   */
  listRecentResults(experimentId: string, limit: number): Promise<ResultRecord[]>;
  /** Every lineage event of an experiment, in the order they happened. */
  listLineage(experimentId: string): Promise<LineageEvent[]>;
  /**
   * Results of an experiment whose id is greater than `afterId`, in id order (a live view's
   * incremental read; pass 0 for all). Read-only.
   */
  listResultsSince(experimentId: string, afterId: number): Promise<ResultRecord[]>;
  /** Lineage events of an experiment whose id is greater than `afterId`, in id order. Read-only. */
  listLineageSince(experimentId: string, afterId: number): Promise<LineageEvent[]>;
  /**
   * True when result and lineage rows become visible in id order (one write transaction at a
   * time: SQLite, memory): a reader that saw id n never later sees a row below n, so an
   * incremental reader can move its cursor to the highest id read. PostgreSQL hands ids out
   * before commit; there it is absent (see the dashboard's SettledCursor).
   */
  readonly idsVisibleInOrder?: boolean;
  /**
   * Checkpoint keys to keep, over all experiments: every member's current checkpoint and each
   * experiment's best result's checkpoint (see the contract above).
   */
  referencedCheckpoints(): Promise<Set<string>>;

  close(): Promise<void>;
}

export type ExperimentStatus = 'running' | 'stopped' | 'done';

export interface NewExperiment {
  /** Unique id; generated by the caller (readable, e.g. `toy-20261127-1107-ab12`). */
  readonly id: string;
  readonly task: string;
  /** The validated experiment config, stored verbatim as JSON. */
  readonly config: unknown;
  readonly seed: number;
  /** Initial hyperparameters of each member, in member id order. */
  readonly members: readonly Hparams[];
  /** Wall-clock time in ms since epoch (injected for testability). */
  readonly now: number;
}

export interface ExperimentRecord {
  readonly id: string;
  readonly task: string;
  readonly config: unknown;
  readonly seed: number;
  readonly status: ExperimentStatus;
  readonly createdAt: number;
  readonly populationSize: number;
}

export interface MemberRecord extends MemberView {
  readonly experimentId: string;
  /** True when a result was recorded and no decision has been applied since. */
  readonly decisionDue: boolean;
  readonly consecutiveFailures: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
  /** Fencing token: incremented by every claim. */
  readonly token: number;
  readonly failureReason: string | null;
}

export interface ClaimOptions {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly now: number;
  readonly preferMember?: MemberId;
  /** Synchronous generations: only members at the lowest step may be claimed. */
  readonly barrier?: boolean;
  /** Members not to claim now (ASHA: members this worker just found waiting at a rung). */
  readonly exclude?: readonly MemberId[];
  /** Claim nothing (null) unless the experiment's status is 'running'. */
  readonly whileRunning?: boolean;
}

export interface Lease {
  readonly experimentId: string;
  readonly memberId: MemberId;
  readonly workerId: string;
  readonly token: number;
  /** The member as it was when claimed. */
  readonly member: MemberRecord;
}

export interface ReadyResult {
  readonly step: number;
  /** Null when the ready point failed (task threw or the score was not finite). */
  readonly metrics: Metrics | null;
  readonly error?: string;
  readonly hparams: Hparams;
  /** New checkpoint; null keeps the current one (e.g. after a failure). */
  readonly checkpoint: string | null;
  /** Budget spent: the member is finished. */
  readonly done: boolean;
  /**
   * Also give the lease back (status 'pending'), atomically with the result: what `release`
   * right after would do, in one write. Ignored when `done` (a finished member has no lease).
   */
  readonly release?: boolean;
  readonly now: number;
  /** Seconds spent in train + evaluate for this segment (for overhead accounting). */
  readonly trainSeconds: number;
}

export interface ResultRecord {
  readonly id: number;
  readonly experimentId: string;
  readonly memberId: MemberId;
  readonly step: number;
  readonly score: number | null;
  readonly metrics: Metrics | null;
  readonly error: string | null;
  readonly hparams: Hparams;
  readonly checkpoint: string | null;
  readonly time: number;
  readonly trainSeconds: number;
}

export interface LineageEvent {
  readonly id: number;
  readonly experimentId: string;
  readonly memberId: MemberId;
  /** The member's step when it exploited. */
  readonly step: number;
  readonly donor: MemberId;
  readonly donorStep: number;
  readonly donorCheckpoint: string;
  readonly oldHparams: Hparams;
  readonly newHparams: Hparams;
  readonly operations: readonly string[];
  readonly time: number;
}

export interface AppliedDecision {
  readonly decision: Decision;
  /** For exploit: the donor's checkpoint the member now starts from. */
  readonly checkpoint: string | null;
  readonly member: MemberRecord;
}

export type { MemberStatus };
