import type { MemberRow } from '../shared/rows.js';
import type { Queryable } from './database.js';

/**
 * The population as a decision reads it, kept per process and refreshed with only the member
 * rows that changed since the last read, instead of every row of every member at every
 * decision (what made a decision's cost grow with the population: 1,000 members is 1,000 rows
 * to send, parse and JSON-decode, for a handful that changed).
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
 */
export class PopulationCache {
  private readonly experiments = new Map<string, CachedPopulation>();

  /** Every member row of the experiment, in id order, as of one snapshot taken now. */
  async read(db: Queryable, experimentId: string): Promise<MemberRow[]> {
    const cached = this.experiments.get(experimentId);
    const rows = await db.query<MemberRow & { horizon: string; changed: boolean }>(
      CHANGED_MEMBERS.sql,
      [experimentId, cached?.horizon ?? null],
      CHANGED_MEMBERS.name,
    );
    const members = cached?.members ?? new Map<number, MemberRow>();
    for (const row of rows) {
      if (!row.changed) continue; // the lone horizon row of a read that found no change
      const { horizon: _horizon, changed: _changed, ...member } = row;
      members.set(member.id, member);
    }
    const horizon = rows[0]?.horizon;
    if (horizon !== undefined) this.experiments.set(experimentId, { horizon, members });
    return [...members.values()].sort((a, b) => a.id - b.id);
  }
}

interface CachedPopulation {
  /** The previous read's snapshot xmin (xid8, as text). */
  readonly horizon: string;
  readonly members: Map<number, MemberRow>;
}

/**
 * $1 experiment, $2 the previous horizon (null: every member). Always returns at least one row
 * (the horizon); `changed` is false on that row when no member row came with it.
 */
const CHANGED_MEMBERS = {
  name: 'pbt_read_changed_members_v1',
  sql: `
    SELECT h.horizon, m.id IS NOT NULL AS changed, m.experiment_id, m.id, m.hparams, m.step,
      m.score, m.last_failed, m.checkpoint, m.status, m.decision_due, m.consecutive_failures,
      m.failure_reason, m.lease_owner, m.lease_expires_at, m.token
    FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon) h
    LEFT JOIN members m ON m.experiment_id = $1 AND (
      $2::text IS NULL
      -- The row's xid at or after the horizon, modulo 2^32.
      OR (m.xmin::text::bigint - ($2::text::bigint % 4294967296) + 4294967296) % 4294967296
         < 2147483648)
    ORDER BY m.id`,
} as const;
