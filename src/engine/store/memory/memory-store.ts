import { NotFoundError, PbtError } from '../../core/errors.js';
import type { Decision, MemberView, PopulationSnapshot } from '../../core/types.js';
import { asPromise } from '../shared/as-promise.js';
import {
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
  resultFromRow,
  resultToRow,
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

/**
 * The store in one process's memory, for tests and single-process runs. It keeps the same rows
 * as the SQLite store (JSON text included), so values round-trip identically. Each operation
 * runs synchronously to completion and computes its whole outcome before writing anything, so
 * it is atomic and a throwing `decide` changes nothing. Data lives as long as the object; `close`
 * keeps it, so several "connections" may share one instance.
 */
export class MemoryStore implements Store {
  /** Every write holds the one write lock, ids included: rows appear in id order. */
  readonly idsVisibleInOrder = true;
  private readonly experiments = new Map<string, ExperimentRow>();
  /** Member rows per experiment, indexed by member id. */
  private readonly members = new Map<string, MemberRow[]>();
  private readonly results: ResultRow[] = [];
  private readonly lineage: LineageRow[] = [];

  private membersOf(experimentId: string): MemberRecord[] {
    return (this.members.get(experimentId) ?? []).map(memberFromRow);
  }

  private memberOf(lease: Lease): MemberRecord | undefined {
    const row = this.members.get(lease.experimentId)?.[lease.memberId];
    return row === undefined ? undefined : memberFromRow(row);
  }

  /** Takes a finished row: the caller converts everything before writing anything. */
  private writeMember(row: MemberRow): void {
    const rows = this.members.get(row.experiment_id);
    if (rows === undefined) throw new NotFoundError(`experiment '${row.experiment_id}'`);
    rows[row.id] = row;
  }

  createExperiment(input: NewExperiment): Promise<ExperimentRecord> {
    return asPromise(() => {
      if (this.experiments.has(input.id)) {
        throw new PbtError('EXISTS', `an experiment with id '${input.id}' already exists`);
      }
      const { experiment, members } = newExperiment(input);
      const row = experimentToRow(experiment);
      const memberRows = members.map(memberToRow);
      this.experiments.set(row.id, row);
      this.members.set(row.id, memberRows);
      return experimentFromRow(row);
    });
  }

  getExperiment(id: string): Promise<ExperimentRecord | null> {
    return asPromise(() => {
      const row = this.experiments.get(id);
      return row === undefined ? null : experimentFromRow(row);
    });
  }

  listExperiments(): Promise<ExperimentRecord[]> {
    return asPromise(() =>
      [...this.experiments.values()]
        .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
        .map(experimentFromRow),
    );
  }

  setExperimentStatus(id: string, status: ExperimentStatus): Promise<void> {
    return asPromise(() => {
      const row = this.experiments.get(id);
      if (row === undefined) throw new NotFoundError(`experiment '${id}'`);
      this.experiments.set(id, { ...row, status });
    });
  }

  listMembers(experimentId: string): Promise<MemberRecord[]> {
    return asPromise(() => this.membersOf(experimentId));
  }

  claimMember(experimentId: string, opts: ClaimOptions): Promise<Lease | null> {
    return asPromise(() => {
      const experiment = this.experiments.get(experimentId);
      if (experiment === undefined) throw new NotFoundError(`experiment '${experimentId}'`);
      if (opts.whileRunning === true && experiment.status !== 'running') return null;
      const chosen = pickClaim(this.membersOf(experimentId), opts);
      if (chosen === null) return null;
      const member = claimed(chosen, opts);
      this.writeMember(memberToRow(member));
      return leaseOf(member);
    });
  }

  heartbeat(lease: Lease, leaseMs: number, now: number): Promise<void> {
    return asPromise(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.writeMember(memberToRow(heartbeated(member, leaseMs, now)));
    });
  }

  recordResult(lease: Lease, result: ReadyResult): Promise<void> {
    return asPromise(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      const next = withResult(member, result);
      const resultRow = resultToRow(next.result);
      const memberRow = memberToRow(next.member);
      this.results.push({ id: this.results.length + 1, ...resultRow });
      this.writeMember(memberRow);
    });
  }

  applyDecision(
    lease: Lease,
    now: number,
    decide: (self: MemberView, population: PopulationSnapshot) => Decision,
  ): Promise<AppliedDecision> {
    return asPromise(() => {
      const members = this.membersOf(lease.experimentId);
      const self = members.find((m) => m.id === lease.memberId);
      assertLeaseHeld(self, lease);
      const { applied, lineage } = decided(members, self, now, decide);
      const memberRow = memberToRow(applied.member);
      const lineageRow = lineage === null ? null : lineageToRow(lineage);
      this.writeMember(memberRow);
      if (lineageRow !== null) this.lineage.push({ id: this.lineage.length + 1, ...lineageRow });
      return applied;
    });
  }

  release(lease: Lease): Promise<void> {
    return asPromise(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.writeMember(memberToRow(released(member)));
    });
  }

  failMember(lease: Lease, reason: string): Promise<void> {
    return asPromise(() => {
      const member = this.memberOf(lease);
      assertLeaseHeld(member, lease);
      this.writeMember(memberToRow(failed(member, reason)));
    });
  }

  listRecentResults(experimentId: string, limit: number): Promise<ResultRecord[]> {
    return asPromise(() => {
      const all = this.results
        .filter((r) => r.experiment_id === experimentId)
        .sort((a, b) => a.id - b.id);
      return all.slice(Math.max(0, all.length - limit)).map(resultFromRow);
    });
  }

  listResults(experimentId: string): Promise<ResultRecord[]> {
    return asPromise(() =>
      this.results
        .filter((r) => r.experiment_id === experimentId)
        .sort((a, b) => a.member_id - b.member_id || a.step - b.step || a.id - b.id)
        .map(resultFromRow),
    );
  }

  listLineage(experimentId: string): Promise<LineageEvent[]> {
    return asPromise(() =>
      this.lineage.filter((e) => e.experiment_id === experimentId).map(lineageFromRow),
    );
  }

  listResultsSince(experimentId: string, afterId: number): Promise<ResultRecord[]> {
    return asPromise(() =>
      this.results
        .filter((r) => r.experiment_id === experimentId && r.id > afterId)
        .sort((a, b) => a.id - b.id)
        .map(resultFromRow),
    );
  }

  listLineageSince(experimentId: string, afterId: number): Promise<LineageEvent[]> {
    return asPromise(() =>
      this.lineage
        .filter((e) => e.experiment_id === experimentId && e.id > afterId)
        .sort((a, b) => a.id - b.id)
        .map(lineageFromRow),
    );
  }

  referencedCheckpoints(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const rows of this.members.values()) {
      for (const row of rows) if (row.checkpoint !== null) keys.add(row.checkpoint);
    }
    // Retention: the checkpoint of each experiment's best result (the first one, on a tie).
    const best = new Map<string, ResultRow>();
    for (const r of this.results) {
      if (r.checkpoint === null || r.score === null) continue;
      const held = best.get(r.experiment_id);
      if (held?.score == null || r.score > held.score) best.set(r.experiment_id, r);
    }
    for (const r of best.values()) if (r.checkpoint !== null) keys.add(r.checkpoint);
    return Promise.resolve(keys);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
