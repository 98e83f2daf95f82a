import type { MemberView, PopulationSnapshot } from '../../core/types.js';
import { toView } from '../shared/member-transitions.js';
import { memberFromRow, type MemberRow } from '../shared/rows.js';
import type { MemberRecord } from '../store.js';
import type { Queryable } from './database.js';
import { changedSinceHorizon, MEMBER_COLUMNS } from './lease-statements.js';

/**
 * The population as a decision reads it, kept per process and refreshed with only the member
 * rows that changed since the last read, instead of every row of every member at every
 * decision (what made a decision's cost grow with the population: 1,000 members is 1,000 rows
 * to send, parse and JSON-decode, for a handful that changed). Each changed row is decoded once
 * into its record and its frozen view; a decision then only collects references.
 *
 * What "changed since" means, exactly: each row version carries `xmin`, the id of the
 * transaction that wrote it. A read returns, with its rows, its snapshot's xmin (the oldest
 * transaction still running when it was taken): every transaction with a smaller id had
 * finished then, so what it wrote was already seen (or rolled back). The next read therefore
 * asks only for rows written by transactions at or after that horizon, and sees every row
 * version the previous read could not. The result is the same population a full read at that
 * moment returns (members are never deleted; conformance tests and
 * population-cache.test.ts check it). xids are 32-bit and wrap: the comparison is modular, and
 * errs only towards returning more rows (an unfrozen row is never 2^31 transactions old), so a
 * row is never missed. A long-running transaction anywhere on the server holds the horizon
 * back: reads then return more rows, never fewer.
 *
 * The claim statement may do the read in its own round trip (lease-statements.ts, CLAIM): it
 * hands the rows to `merge`, with the claimed row (written after that snapshot) on top.
 */
export class PopulationCache {
  private readonly experiments = new Map<string, CachedPopulation>();

  /** The horizon to pass to the next read of this experiment (null: read every member). */
  horizonOf(experimentId: string): string | null {
    return this.experiments.get(experimentId)?.horizon ?? null;
  }

  /** The population as last read or merged (empty before the first). */
  current(experimentId: string): Population {
    const cached = this.experiments.get(experimentId);
    return cached === undefined ? EMPTY : populationOf(cached);
  }

  /** Every member of the experiment as of one snapshot taken now. */
  async read(db: Queryable, experimentId: string): Promise<Population> {
    const rows = await db.query<MemberRow & { horizon: string; changed: boolean }>(
      CHANGED_MEMBERS.sql,
      [experimentId, this.horizonOf(experimentId)],
      CHANGED_MEMBERS.name,
    );
    const horizon = rows[0]?.horizon;
    if (horizon === undefined) throw new Error('the population read returned no horizon row');
    // `changed` is false on the lone horizon row of a read that found no change.
    return this.merge(
      experimentId,
      horizon,
      rows.filter((r) => r.changed),
    );
  }

  /**
   * Takes in the rows a read with `horizon` returned (rows of a snapshot), then `newer` (rows
   * written after that snapshot by the caller itself, e.g. the row it just claimed).
   */
  merge(
    experimentId: string,
    horizon: string,
    rows: readonly MemberRow[],
    newer: readonly MemberRow[] = [],
  ): Population {
    let cached = this.experiments.get(experimentId);
    if (cached === undefined) {
      cached = { horizon, at: new Map(), rows: [], members: [], views: [] };
      this.experiments.set(experimentId, cached);
    }
    cached.horizon = horizon;
    for (const row of [...rows, ...newer]) {
      // Copy only the member's columns: a row from a read carries extra ones (horizon, part).
      const member: MemberRow = {
        experiment_id: row.experiment_id,
        id: row.id,
        hparams: row.hparams,
        step: row.step,
        score: row.score,
        last_failed: row.last_failed,
        checkpoint: row.checkpoint,
        status: row.status,
        decision_due: row.decision_due,
        consecutive_failures: row.consecutive_failures,
        failure_reason: row.failure_reason,
        lease_owner: row.lease_owner,
        lease_expires_at: row.lease_expires_at,
        token: row.token,
      };
      const record = memberFromRow(member);
      const at = cached.at.get(member.id);
      if (at === undefined) {
        insertInIdOrder(cached, member, record);
      } else {
        cached.rows[at] = member;
        cached.members[at] = record;
        cached.views[at] = toView(record);
      }
    }
    return populationOf(cached);
  }
}

/** One snapshot of the population, in id order. */
export interface Population {
  /** The rows as stored, alongside `members`. */
  readonly rows: readonly MemberRow[];
  readonly members: readonly MemberRecord[];
  /** The same members as `decide` sees them (frozen views). */
  readonly snapshot: PopulationSnapshot;
}

const EMPTY: Population = { rows: [], members: [], snapshot: [] };

/** Each member as stored, decoded, and as `decide` sees it, in parallel arrays in id order. */
interface CachedPopulation {
  /** The previous read's snapshot xmin (xid8, as text). */
  horizon: string;
  /** Member id → its index in the arrays. */
  readonly at: Map<number, number>;
  readonly rows: MemberRow[];
  readonly members: MemberRecord[];
  readonly views: MemberView[];
}

/** A member not seen before (the first read brings them all, in id order: appended). */
function insertInIdOrder(cached: CachedPopulation, row: MemberRow, record: MemberRecord): void {
  let i = cached.rows.length;
  while (i > 0 && (cached.rows[i - 1]?.id ?? -Infinity) > row.id) i--;
  cached.rows.splice(i, 0, row);
  cached.members.splice(i, 0, record);
  cached.views.splice(i, 0, toView(record));
  for (let j = i; j < cached.rows.length; j++) cached.at.set(cached.rows[j]?.id ?? -1, j);
}

/**
 * Copies of the arrays (references only): later merges must not change a snapshot in use. The
 * views are frozen; the snapshot array is not (freezing a 1,000-element array costs more than
 * the rest of a decision, and each decision gets its own copy, so nothing else can see a
 * change to it).
 */
function populationOf(cached: CachedPopulation): Population {
  return {
    rows: cached.rows.slice(),
    members: cached.members.slice(),
    snapshot: cached.views.slice(),
  };
}

/**
 * $1 experiment, $2 the previous horizon (null: every member). Always returns at least one row
 * (the horizon); `changed` is false on that row when no member row came with it.
 */
const CHANGED_MEMBERS = {
  name: 'pbt_read_changed_members_v2',
  sql: `
    SELECT h.horizon, m.id IS NOT NULL AS changed, ${MEMBER_COLUMNS.replace(/(\w+)/g, 'm.$1')}
    FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon) h
    LEFT JOIN members m ON m.experiment_id = $1
      AND ($2::text IS NULL OR ${changedSinceHorizon('$2')})
    ORDER BY m.id`,
} as const;
