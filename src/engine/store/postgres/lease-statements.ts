/**
 * The PostgreSQL store's hot path: the writes a worker makes at every ready point, each as ONE
 * named (prepared) statement that checks the fence and makes the whole change, instead of a
 * transaction of five or more round trips (BEGIN, lock the row, read, write, record the write
 * id, COMMIT). They apply the rules of shared/member-transitions.ts in SQL; the store
 * conformance suite runs the same tests on them as on SQLite and the memory store.
 *
 * Every statement that writes for a lease matches its member row only while the lease is held
 * (`token` and `lease_owner` as claimed): a write from a worker whose lease was taken over
 * changes nothing and returns no row, which the store turns into LeaseLostError. The fence is
 * checked on the row as it is when the UPDATE locks it (READ COMMITTED re-checks a row that a
 * concurrent transaction changed), so no other writer can slip in between check and write.
 * Each also inserts its write id into `writes` in the same statement (the exactly-once retry
 * after a lost COMMIT reply; see postgres-store.ts).
 */

/** Parameters: the member (experiment id, id), then the lease (token, owner). */
const FENCE = 'experiment_id = $1 AND id = $2 AND token = $3 AND lease_owner = $4';

/**
 * The member row `m` was written at or after the horizon (a snapshot's xmin, xid8 as text, in
 * parameter `param`): 32-bit transaction ids compared by their age, i.e. modulo 2^32 relative
 * to the statement's own point in the xid sequence (see population-cache.ts); integer
 * arithmetic on every row, no conversion through text.
 */
export function changedSinceHorizon(param: string): string {
  return `age(m.xmin) <= age(${param}::text::xid8::xid)`;
}

export interface Statement {
  /**
   * The prepared statement's name: `pbt_write_…` for a statement that commits a change on its
   * own, `pbt_read_…` for a read (the fault-injection proxy of the tests cuts connections at
   * the commit of a `pbt_write_` statement as at a COMMIT).
   */
  readonly name: string;
  readonly sql: string;
}

/**
 * A member a claim may take (see CLAIM's parameters): active, not leased (or its lease has
 * expired), not excluded, and with a barrier at the lowest step of all active members. The
 * first two conditions are on the row as it is when locked (re-checked after a concurrent
 * claim changed it). The arguments name the statement's parameters (`$2` …): the claim time,
 * the excluded ids, the barrier flag and the while-running flag; `$1` is the experiment.
 */
function claimable(now: string, exclude: string, barrier: string, whileRunning: string): string {
  return `status IN ('pending', 'running')
        AND (NOT ${whileRunning}::boolean OR (SELECT status FROM experiment) = 'running')
        AND (lease_owner IS NULL OR lease_expires_at <= ${now}::float8)
        AND NOT (id = ANY (${exclude}::integer[]))
        AND (NOT ${barrier}::boolean OR step = (
          SELECT min(step) FROM members
          WHERE experiment_id = $1 AND status IN ('pending', 'running')))`;
}

const CLAIMABLE = claimable('$2', '$3', '$4', '$9');

/** A member row's columns, in the table's order. */
export const MEMBER_COLUMNS = `experiment_id, id, hparams, step, score, last_failed, checkpoint,
  status, decision_due, consecutive_failures, failure_reason, lease_owner, lease_expires_at, token`;

/**
 * A recorded ready point's member update (RECORD's parameters $5–$11): what depends on the row
 * as it is now is computed here: a failed ready point keeps the score and (with no new
 * checkpoint) the checkpoint, and counts consecutive failures.
 */
const RECORD_SET = `
        step = $5,
        score = CASE WHEN $6::boolean THEN $7::float8 ELSE score END,
        last_failed = CASE WHEN $6::boolean THEN 0 ELSE 1 END,
        checkpoint = COALESCE($8::text, checkpoint),
        consecutive_failures = CASE WHEN $6::boolean THEN 0 ELSE consecutive_failures + 1 END,
        decision_due = $9`;

/** RECORD_SET's status and lease: $10 status, $11 lease ends. */
const RECORD_LEASE = `
        status = $10,
        lease_owner = CASE WHEN $11::boolean THEN NULL ELSE lease_owner END,
        lease_expires_at = CASE WHEN $11::boolean THEN NULL ELSE lease_expires_at END`;

/** The result row of a recorded ready point (RECORD's parameters), for the `updated` member. */
const APPEND_RESULT = `INSERT INTO results (experiment_id, member_id, step, score, metrics, error,
        hparams, checkpoint, time, train_seconds)
      SELECT experiment_id, id, $5, $7, $12, $13, $14, $8, $15, $16 FROM updated`;

/**
 * A claim's first answer row: the experiment's status and, when the claimed member has a
 * decision due (CTE `deciding`), the horizon of the population rows that follow.
 */
const STATUS_ROW = `SELECT 'status' AS part, (SELECT status FROM experiment) AS experiment_status,
      CASE WHEN (SELECT due FROM deciding)
        THEN pg_snapshot_xmin(pg_current_snapshot())::text END AS horizon,
      NULL::text AS experiment_id, NULL::integer AS id, NULL::text AS hparams,
      NULL::bigint AS step, NULL::float8 AS score, NULL::smallint AS last_failed,
      NULL::text AS checkpoint, NULL::text AS status, NULL::smallint AS decision_due,
      NULL::integer AS consecutive_failures, NULL::text AS failure_reason,
      NULL::text AS lease_owner, NULL::float8 AS lease_expires_at, NULL::bigint AS token`;

/**
 * A claim's other answer rows: the claimed row (of CTE `source`), then, with a decision due,
 * the member rows changed since the population horizon in parameter `horizon` (null: every
 * member).
 */
function claimedAndChanged(horizon: string, source = 'claimed'): string {
  return `SELECT 'claimed', NULL, NULL, ${MEMBER_COLUMNS} FROM ${source}
    UNION ALL
    SELECT 'member', NULL, NULL, ${MEMBER_COLUMNS} FROM members m
    WHERE (SELECT due FROM deciding) AND m.experiment_id = $1
      AND (${horizon}::text IS NULL OR ${changedSinceHorizon(horizon)})`;
}

/** Which part of the claim's answer a row is (see CLAIM). */
export type ClaimPart = 'status' | 'claimed' | 'member';

/**
 * Claim: rank the claimable members as `claimCandidates` does (lowest step, then the preferred
 * member, then the lowest id; with a barrier, only members at the lowest active step) and lease
 * the first that no other transaction holds (SKIP LOCKED spreads concurrent claims over
 * different members instead of queueing them on one). A row changed by a concurrent claim is
 * re-checked against the WHERE clause after locking and passed over if no longer claimable.
 * In two steps, so that the index on (experiment_id, step, id) serves the order: `first` is the
 * first such member by (step, id), reading only the front of the index rather than sorting the
 * population; the preferred member replaces it when it is claimable at that same step (a
 * preferred member at a lower step would itself have been `first`, unless another claim holds
 * it). `first` stays locked to the end of the statement either way, which only makes a
 * concurrent claim pass over it meanwhile.
 * With $9 (whileRunning) nothing is claimed unless the experiment's status is 'running'.
 *
 * The same round trip also answers what the worker asks next: the experiment's status, and,
 * when the claimed member has a decision due, the member rows changed since the population
 * read whose horizon is $10 (null: every member; see population-cache.ts), read with this
 * statement's snapshot, i.e. before the claim's own change (the caller has the claimed row).
 * $1 experiment, $2 now, $3 excluded ids, $4 barrier, $5 preferred id (-1: none),
 * $6 worker id, $7 lease expiry, $8 write id, $9 whileRunning, $10 population horizon.
 * Rows: one 'status' row (experiment_status: null when there is no such experiment; horizon:
 * set when the population was read), the 'claimed' row if any, then 'member' rows.
 */
export const CLAIM: Statement = {
  name: 'pbt_write_claim_v2',
  sql: `
    WITH experiment AS (
      SELECT status FROM experiments WHERE id = $1
    ), first AS (
      SELECT id, step FROM members
      WHERE experiment_id = $1 AND ${CLAIMABLE}
      ORDER BY step, id
      LIMIT 1
      FOR NO KEY UPDATE SKIP LOCKED
    ), preferred AS (
      SELECT id FROM members
      WHERE experiment_id = $1 AND id = $5::integer AND step = (SELECT step FROM first)
        AND ${CLAIMABLE}
      FOR NO KEY UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE members m
      SET status = 'running', token = m.token + 1, lease_owner = $6, lease_expires_at = $7
      WHERE m.experiment_id = $1
        AND m.id = COALESCE((SELECT id FROM preferred), (SELECT id FROM first))
      RETURNING m.*
    ), recorded AS (
      INSERT INTO writes (id, experiment_id, outcome)
      SELECT $8, $1, row_to_json(claimed)::text FROM claimed
    ), deciding AS (
      SELECT EXISTS (SELECT 1 FROM claimed WHERE decision_due = 1) AS due
    )
    ${STATUS_ROW}
    UNION ALL
    ${claimedAndChanged('$10')}`,
};

/** Heartbeat: $5 new expiry. Returns a row while the lease is held. Needs no write id. */
export const HEARTBEAT: Statement = {
  name: 'pbt_write_heartbeat_v1',
  sql: `UPDATE members SET lease_expires_at = $5 WHERE ${FENCE} RETURNING 1 AS held`,
};

/**
 * Record a ready point (and, when asked, give the lease back): the member's new state and the
 * result row. What depends on the row as it is now is computed here: a failed ready point keeps
 * the score and (with no new checkpoint) the checkpoint, and counts consecutive failures.
 * $5 step, $6 ok, $7 score (null when failed), $8 new checkpoint (null: keep), $9 decision due,
 * $10 status, $11 lease ends, $12 metrics, $13 error, $14 hparams, $15 time, $16 train seconds,
 * $17 write id. Returns n = 1 when written.
 */
export const RECORD: Statement = {
  name: 'pbt_write_record_v1',
  sql: `
    WITH updated AS (
      UPDATE members SET
${RECORD_SET},
${RECORD_LEASE}
      WHERE ${FENCE}
      RETURNING experiment_id, id
    ), appended AS (
      ${APPEND_RESULT}
    ), recorded AS (
      INSERT INTO writes (id, experiment_id, outcome) SELECT $17, $1, NULL FROM updated
    )
    SELECT count(*)::int AS n FROM updated`,
};

/** Which part of RECORD_AND_CLAIM's answer a row is. */
export type RecordAndClaimPart = ClaimPart | 'recorded';

/**
 * RECORD, then in the same statement the claim the worker would make next (two round trips per
 * ready point instead of three): RECORD's parameters $1–$17 (the result must give the lease
 * back: $11 true), then the claim's: $18 now, $19 excluded ids, $20 barrier, $21 whileRunning,
 * $22 population horizon, $23 lease expiry. The claim is the one a claim right after the
 * record, with the recorded member preferred (the worker still has its state), would make:
 * - `first`: another member at a lower step than the recorded one's new step (or any other
 *   when the recorded member is done), in claim order, skipping rows other transactions hold.
 *   The claim part reads the statement's snapshot, in which the recorded member still holds
 *   its lease; a barrier's lowest active step includes its old step: at worst too low, which
 *   finds nothing here.
 * - `keeping`: else the recorded member itself, when it is claimable as recorded (pending, not
 *   excluded, the experiment running if asked, at the lowest active step under a barrier): it
 *   keeps its lease under a new token instead of being released (it wins ties as the preferred
 *   member).
 * - else nothing: the member is released and the caller claims on its own.
 * Nothing is recorded or claimed when the fence fails (no 'recorded' row: the lease was lost).
 * The write id's outcome is the claimed row (null: none), as CLAIM's.
 * Rows: 'status' (experiment_status, horizon as CLAIM's), 'recorded' (the member as recorded,
 * when the fence held), 'claimed' (if any), then 'member' rows as CLAIM's.
 */
export const RECORD_AND_CLAIM: Statement = {
  name: 'pbt_write_record_claim_v1',
  sql: `
    WITH experiment AS (
      SELECT status FROM experiments WHERE id = $1
    ), first AS (
      SELECT id FROM members
      WHERE experiment_id = $1 AND id <> $2 AND $11::boolean
        AND ($10::text = 'done' OR step < $5)
        AND ${claimable('$18', '$19', '$20', '$21')}
      ORDER BY step, id
      LIMIT 1
      FOR NO KEY UPDATE SKIP LOCKED
    ), keeping AS (
      SELECT $11::boolean AND $10::text = 'pending'
        AND NOT EXISTS (SELECT 1 FROM first)
        AND NOT ($2 = ANY ($19::integer[]))
        AND (NOT $21::boolean OR (SELECT status FROM experiment) = 'running')
        AND (NOT $20::boolean OR $5 <= COALESCE((
          SELECT min(step) FROM members
          WHERE experiment_id = $1 AND id <> $2 AND status IN ('pending', 'running')), $5))
        AS keep
    ), updated AS (
      UPDATE members SET
${RECORD_SET},
        status = CASE WHEN (SELECT keep FROM keeping) THEN 'running' ELSE $10 END,
        token = CASE WHEN (SELECT keep FROM keeping) THEN token + 1 ELSE token END,
        lease_owner = CASE WHEN (SELECT keep FROM keeping) THEN $4
          WHEN $11::boolean THEN NULL ELSE lease_owner END,
        lease_expires_at = CASE WHEN (SELECT keep FROM keeping) THEN $23
          WHEN $11::boolean THEN NULL ELSE lease_expires_at END
      WHERE ${FENCE}
      RETURNING *
    ), appended AS (
      ${APPEND_RESULT}
    ), claimed AS (
      UPDATE members m
      SET status = 'running', token = m.token + 1, lease_owner = $4, lease_expires_at = $23
      WHERE m.experiment_id = $1 AND m.id = (SELECT id FROM first)
        AND EXISTS (SELECT 1 FROM updated)
      RETURNING m.*
    ), taken AS (
      SELECT * FROM claimed
      UNION ALL
      SELECT * FROM updated WHERE (SELECT keep FROM keeping)
    ), recorded AS (
      INSERT INTO writes (id, experiment_id, outcome)
      SELECT $17, $1, (SELECT row_to_json(taken)::text FROM taken) FROM updated
    ), deciding AS (
      SELECT EXISTS (SELECT 1 FROM taken WHERE decision_due = 1) AS due
    )
    ${STATUS_ROW}
    UNION ALL
    SELECT 'recorded', NULL, NULL, ${MEMBER_COLUMNS} FROM updated
    UNION ALL
    ${claimedAndChanged('$22', 'taken')}`,
};

/**
 * End or give back the lease: $5 status ('pending' on release, 'failed'), $6 failure reason
 * (null keeps it), $7 write id. Returns n = 1 when written.
 */
export const END_LEASE: Statement = {
  name: 'pbt_write_end_lease_v1',
  sql: `
    WITH updated AS (
      UPDATE members SET status = $5, failure_reason = COALESCE($6, failure_reason),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE ${FENCE}
      RETURNING id
    ), recorded AS (
      INSERT INTO writes (id, experiment_id, outcome) SELECT $7, $1, NULL FROM updated
    )
    SELECT count(*)::int AS n FROM updated`,
};

/**
 * Apply a decision made on a population read just before (without locks). For an exploit, the
 * donor row must still be exactly as `decide` saw it (step, score, checkpoint, hparams) and is
 * locked FOR SHARE until this statement commits: the donor cannot move its checkpoint on before
 * this member references it (so a collector never sees it unreferenced in between), and the
 * lineage event records exactly the donor state that was copied. If the donor moved, nothing is
 * written (`donor_held` false) and the store decides again on a fresh read.
 * $5 donor id (null: not an exploit), $6 donor step, $7 donor score, $8 donor checkpoint,
 * $9 donor hparams as stored, $10 new hparams, $11 checkpoint, $12 status, $13 failure reason,
 * $14 lease ends, $15 the member's step, $16 old hparams, $17 operations, $18 time,
 * $19 write id, $20 the outcome to replay. Returns n = 1 when written, and donor_held.
 */
export const DECIDE: Statement = {
  name: 'pbt_write_decide_v1',
  sql: `
    WITH donor AS (
      SELECT id FROM members
      WHERE $5::integer IS NOT NULL AND experiment_id = $1 AND id = $5::integer
        AND step = $6 AND score IS NOT DISTINCT FROM $7::float8 AND checkpoint = $8::text
        AND hparams = $9::text
      FOR SHARE
    ), updated AS (
      UPDATE members SET hparams = $10, checkpoint = $11, decision_due = 0, status = $12,
        failure_reason = $13,
        lease_owner = CASE WHEN $14::boolean THEN NULL ELSE lease_owner END,
        lease_expires_at = CASE WHEN $14::boolean THEN NULL ELSE lease_expires_at END
      WHERE ${FENCE} AND ($5::integer IS NULL OR EXISTS (SELECT 1 FROM donor))
      RETURNING id
    ), logged AS (
      INSERT INTO lineage (experiment_id, member_id, step, donor, donor_step, donor_checkpoint,
        old_hparams, new_hparams, operations, time)
      SELECT $1, $2, $15, $5::integer, $6, $8::text, $16, $10, $17, $18
      FROM updated WHERE $5::integer IS NOT NULL
    ), recorded AS (
      INSERT INTO writes (id, experiment_id, outcome) SELECT $19, $1, $20 FROM updated
    )
    SELECT (SELECT count(*) FROM updated)::int AS n,
      ($5::integer IS NULL OR EXISTS (SELECT 1 FROM donor)) AS donor_held`,
};

/** The experiment record, read before every claim. */
export const EXPERIMENT: Statement = {
  name: 'pbt_read_experiment_v1',
  sql: 'SELECT * FROM experiments WHERE id = $1',
};
