import { LeaseLostError, PbtError } from '../../core/errors.js';
import { assertExperimentId } from '../../core/experiment-id.js';
import type { Decision, Hparams, MemberView, PopulationSnapshot } from '../../core/types.js';
import type {
  AppliedDecision,
  ClaimOptions,
  ExperimentRecord,
  Lease,
  LineageEvent,
  MemberRecord,
  NewExperiment,
  ReadyResult,
  ResultRecord,
} from '../store.js';
import type { Unnumbered } from './rows.js';

/**
 * The store's rules as pure functions from old member records to new ones. Every store
 * implementation reads the rows inside its transaction, applies one of these and writes the
 * outcome back, so the rules (claim order, fencing, what a result or decision changes) are
 * written once.
 */

function assertFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) {
    throw new PbtError('NON_FINITE', `${what} is ${value}: only finite numbers can be stored`);
  }
}

/** The experiment record and its members as `createExperiment` stores them. */
export function newExperiment(input: NewExperiment): {
  experiment: ExperimentRecord;
  members: MemberRecord[];
} {
  assertExperimentId(input.id);
  assertFinite(input.seed, 'the experiment seed');
  assertFinite(input.now, 'the creation time');
  const experiment: ExperimentRecord = {
    id: input.id,
    task: input.task,
    config: input.config,
    seed: input.seed,
    status: 'running',
    createdAt: input.now,
    populationSize: input.members.length,
  };
  const members = input.members.map((hparams, id): MemberRecord => ({
    experimentId: input.id,
    id,
    step: 0,
    score: null,
    lastFailed: false,
    hparams,
    checkpoint: null,
    status: 'pending',
    decisionDue: false,
    consecutiveFailures: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    token: 0,
    failureReason: null,
  }));
  return { experiment, members };
}

/** Done and failed members are finished for good: never claimed, not part of the barrier. */
export function isActive(member: MemberView): boolean {
  return member.status !== 'done' && member.status !== 'failed';
}

/** Active, and either unleased or its lease has expired (`expiresAt <= now`). */
export function isClaimable(member: MemberRecord, now: number): boolean {
  if (!isActive(member)) return false;
  return (
    member.leaseOwner === null || (member.leaseExpiresAt !== null && member.leaseExpiresAt <= now)
  );
}

/**
 * The member a claim should take, or null. Least-advanced first, then `preferMember`, then the
 * lowest id. With `barrier`, only members at the lowest step of all active members qualify, so
 * a leased member at that step holds the others back until it has advanced.
 */
export function pickClaim(
  members: readonly MemberRecord[],
  opts: ClaimOptions,
): MemberRecord | null {
  return claimCandidates(members, opts)[0] ?? null;
}

/**
 * Every member a claim may take, best first (`pickClaim` takes the first). A store whose claims
 * run concurrently (PostgreSQL, `SKIP LOCKED`) tries them in this order and takes the first one
 * no other transaction holds.
 */
export function claimCandidates(
  members: readonly MemberRecord[],
  opts: ClaimOptions,
): MemberRecord[] {
  const active = members.filter(isActive);
  const barrierStep = Math.min(...active.map((m) => m.step));
  const candidates = active.filter(
    (m) =>
      isClaimable(m, opts.now) &&
      (opts.barrier !== true || m.step === barrierStep) &&
      !(opts.exclude ?? []).includes(m.id),
  );
  const rank = (m: MemberRecord): [number, number, number] => [
    m.step,
    m.id === opts.preferMember ? 0 : 1,
    m.id,
  ];
  return candidates.sort((a, b) => compareRanks(rank(a), rank(b)));
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The member after a claim: a new fencing token, the claimant's lease, status 'running'. */
export function claimed(member: MemberRecord, opts: ClaimOptions): MemberRecord {
  return {
    ...member,
    status: 'running',
    token: member.token + 1,
    leaseOwner: opts.workerId,
    leaseExpiresAt: leaseExpiry(opts.now, opts.leaseMs),
  };
}

/** When a lease taken or renewed at `now` expires; refused unless finite. */
export function leaseExpiry(now: number, leaseMs: number): number {
  assertFinite(now + leaseMs, 'the lease expiry');
  return now + leaseMs;
}

export function leaseOf(member: MemberRecord): Lease {
  if (member.leaseOwner === null) {
    throw new PbtError('INTERNAL', `member ${member.id} has no lease to hand out`);
  }
  return {
    experimentId: member.experimentId,
    memberId: member.id,
    workerId: member.leaseOwner,
    token: member.token,
    member,
  };
}

/**
 * Fencing: the lease is still held when nobody claimed the member since (same token) and it
 * was not given up (same owner). An expired lease nobody has claimed yet is still held.
 */
export function assertLeaseHeld(
  member: MemberRecord | undefined,
  lease: Lease,
): asserts member is MemberRecord {
  if (member?.token !== lease.token || member.leaseOwner !== lease.workerId) {
    throw new LeaseLostError(lease.experimentId, lease.memberId);
  }
}

export function heartbeated(member: MemberRecord, leaseMs: number, now: number): MemberRecord {
  return { ...member, leaseExpiresAt: leaseExpiry(now, leaseMs) };
}

/** Store.recordAndClaim takes only a result that gives the lease back (`release` or `done`). */
export function assertGivesLeaseBack(result: ReadyResult): void {
  if (result.release !== true && result.done !== true) {
    throw new PbtError('INTERNAL', 'recordAndClaim needs a result that gives the lease back');
  }
}

/** The member after a ready point, and the result row to append. */
export function withResult(
  member: MemberRecord,
  result: ReadyResult,
): { member: MemberRecord; result: Unnumbered<ResultRecord> } {
  assertFinite(result.step, 'the result step');
  assertFinite(result.now, 'the result time');
  assertFinite(result.trainSeconds, 'the result train seconds');
  if (result.metrics !== null) {
    for (const [name, value] of Object.entries(result.metrics)) {
      assertFinite(value, `metric '${name}' of member ${member.id}`);
    }
  }
  const ok = result.metrics !== null;
  const updated: MemberRecord = {
    ...member,
    step: result.step,
    score: ok ? result.metrics.score : member.score,
    lastFailed: !ok,
    checkpoint: result.checkpoint ?? member.checkpoint,
    consecutiveFailures: ok ? 0 : member.consecutiveFailures + 1,
    decisionDue: !result.done,
  };
  // A finished member needs no decision and no lease; `release` gives the lease back in the
  // same write (one round trip fewer per ready point than record, then release).
  const next: MemberRecord = result.done
    ? { ...updated, status: 'done', leaseOwner: null, leaseExpiresAt: null }
    : result.release === true
      ? released(updated)
      : updated;
  return {
    member: next,
    result: {
      experimentId: member.experimentId,
      memberId: member.id,
      step: result.step,
      score: ok ? result.metrics.score : null,
      metrics: result.metrics,
      error: result.error ?? null,
      hparams: result.hparams,
      checkpoint: result.checkpoint,
      time: result.now,
      trainSeconds: result.trainSeconds,
    },
  };
}

export function toView(member: MemberRecord): MemberView {
  return Object.freeze({
    id: member.id,
    step: member.step,
    score: member.score,
    lastFailed: member.lastFailed,
    hparams: Object.freeze({ ...member.hparams }),
    checkpoint: member.checkpoint,
    status: member.status,
    decisionDue: member.decisionDue,
  });
}

/**
 * Calls `decide` on the population and computes what it changes: the member's new record and,
 * for exploit, the lineage event to append. Throws (and so changes nothing) when `decide` throws
 * or names a donor that is unknown, itself, or has no checkpoint yet. `snapshot` is `members`
 * as views, when the caller already has them (a store that keeps the population decoded).
 */
export function decided(
  members: readonly MemberRecord[],
  self: MemberRecord,
  now: number,
  decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  snapshot: PopulationSnapshot = Object.freeze(members.map(toView)),
): { applied: AppliedDecision; lineage: Unnumbered<LineageEvent> | null } {
  const selfView = snapshot.find((m) => m.id === self.id);
  if (selfView === undefined) {
    throw new PbtError('INTERNAL', `member ${self.id} is missing from its population`);
  }
  const decision = decide(selfView, snapshot);
  const settled = { ...self, decisionDue: false };
  switch (decision.kind) {
    case 'continue':
      return { applied: { decision, checkpoint: null, member: settled }, lineage: null };
    case 'stop':
      return {
        applied: {
          decision,
          checkpoint: null,
          member: {
            ...settled,
            status: 'failed',
            failureReason: decision.reason,
            leaseOwner: null,
            leaseExpiresAt: null,
          },
        },
        lineage: null,
      };
    case 'retire':
      return {
        applied: {
          decision,
          checkpoint: null,
          member: { ...settled, status: 'done', leaseOwner: null, leaseExpiresAt: null },
        },
        lineage: null,
      };
    case 'exploit': {
      const donor = exploitDonor(members, self, decision.donor);
      assertFiniteHparams(decision.hparams);
      const member: MemberRecord = {
        ...settled,
        hparams: decision.hparams,
        checkpoint: donor.checkpoint,
      };
      return {
        applied: { decision, checkpoint: donor.checkpoint, member },
        lineage: {
          experimentId: self.experimentId,
          memberId: self.id,
          step: self.step,
          donor: donor.id,
          donorStep: donor.step,
          donorCheckpoint: donor.checkpoint,
          oldHparams: self.hparams,
          newHparams: decision.hparams,
          operations: [...decision.operations],
          time: now,
        },
      };
    }
  }
}

function exploitDonor(
  members: readonly MemberRecord[],
  self: MemberRecord,
  donorId: number,
): MemberRecord & { checkpoint: string } {
  const donor = members.find((m) => m.id === donorId);
  if (donor === undefined || donor.id === self.id) {
    throw new PbtError(
      'INVALID_DECISION',
      `member ${self.id} cannot exploit member ${donorId}: ${donor === undefined ? 'no such member' : 'it is itself'}`,
    );
  }
  const checkpoint = donor.checkpoint;
  if (checkpoint === null) {
    throw new PbtError(
      'INVALID_DECISION',
      `member ${self.id} cannot exploit member ${donorId}: the donor has no checkpoint yet`,
    );
  }
  return { ...donor, checkpoint };
}

function assertFiniteHparams(hparams: Hparams): void {
  for (const [name, value] of Object.entries(hparams)) {
    if (typeof value === 'number') assertFinite(value, `hyperparameter '${name}'`);
  }
}

/** Lease given back: anyone may claim the member again. */
export function released(member: MemberRecord): MemberRecord {
  return { ...member, status: 'pending', leaseOwner: null, leaseExpiresAt: null };
}

export function failed(member: MemberRecord, reason: string): MemberRecord {
  return {
    ...member,
    status: 'failed',
    failureReason: reason,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}
