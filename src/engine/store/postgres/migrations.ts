import { PbtError } from '../../core/errors.js';
import { quoteIdent } from './connection.js';
import type { Queryable } from './database.js';

/**
 * The PostgreSQL schema as an ordered list of migrations (never edit a released one: append).
 * The population store and the database checkpoint store share one list and one
 * `schema_version` table, so either may be opened first.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Finite, as in every store: PostgreSQL would otherwise accept NaN and ±Infinity. */
const finite = (column: string): string =>
  `CHECK (${column} IS NULL OR (${column} <> 'NaN'::float8 AND abs(${column}) <> 'Infinity'::float8))`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'experiments, members, results, lineage, writes, checkpoints',
    // Numbers a JavaScript program produced (seed, times, scores) are float8, which holds every
    // JavaScript number exactly; counters (steps, tokens) are integers.
    sql: `
      CREATE TABLE experiments (
        id              text PRIMARY KEY,
        task            text NOT NULL,
        config          text NOT NULL,
        seed            float8 NOT NULL,
        status          text NOT NULL CHECK (status IN ('running', 'stopped', 'done')),
        created_at      float8 NOT NULL,
        population_size integer NOT NULL
      );

      CREATE TABLE members (
        experiment_id        text NOT NULL REFERENCES experiments (id),
        id                   integer NOT NULL,
        hparams              text NOT NULL,
        step                 bigint NOT NULL,
        score                float8 ${finite('score')},
        last_failed          smallint NOT NULL CHECK (last_failed IN (0, 1)),
        checkpoint           text,
        status               text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        decision_due         smallint NOT NULL CHECK (decision_due IN (0, 1)),
        consecutive_failures integer NOT NULL,
        failure_reason       text,
        lease_owner          text,
        lease_expires_at     float8,
        token                bigint NOT NULL,
        PRIMARY KEY (experiment_id, id)
      );
      CREATE INDEX members_checkpoint ON members (checkpoint) WHERE checkpoint IS NOT NULL;

      CREATE TABLE results (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        experiment_id text NOT NULL,
        member_id     integer NOT NULL,
        step          bigint NOT NULL,
        score         float8 ${finite('score')},
        metrics       text,
        error         text,
        hparams       text NOT NULL,
        checkpoint    text,
        time          float8 NOT NULL,
        train_seconds float8 NOT NULL,
        FOREIGN KEY (experiment_id, member_id) REFERENCES members (experiment_id, id)
      );
      CREATE INDEX results_listing ON results (experiment_id, member_id, step, id);

      CREATE TABLE lineage (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        experiment_id    text NOT NULL,
        member_id        integer NOT NULL,
        step             bigint NOT NULL,
        donor            integer NOT NULL,
        donor_step       bigint NOT NULL,
        donor_checkpoint text NOT NULL,
        old_hparams      text NOT NULL,
        new_hparams      text NOT NULL,
        operations       text NOT NULL,
        time             float8 NOT NULL,
        FOREIGN KEY (experiment_id, member_id) REFERENCES members (experiment_id, id),
        FOREIGN KEY (experiment_id, donor) REFERENCES members (experiment_id, id)
      );
      CREATE INDEX lineage_listing ON lineage (experiment_id, id);

      -- Results and lineage are history: append-only.
      CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% are append-only', TG_ARGV[0]; END
      $$;
      CREATE TRIGGER results_append_only BEFORE UPDATE ON results
        FOR EACH ROW EXECUTE FUNCTION refuse_update('results');
      CREATE TRIGGER lineage_append_only BEFORE UPDATE ON lineage
        FOR EACH ROW EXECUTE FUNCTION refuse_update('lineage events');

      -- One row per committed write, keyed by an id the client chose before its first attempt:
      -- a retry after a lost COMMIT finds it and returns the recorded outcome instead of
      -- writing again. Rows older than an hour are pruned (retries give up long before).
      CREATE TABLE writes (
        id            uuid PRIMARY KEY,
        experiment_id text,
        outcome       text,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX writes_age ON writes (created_at);

      -- The database checkpoint store: content-addressed blobs (key = sha256 of bytes, hex).
      CREATE TABLE checkpoints (
        key   text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
        bytes bytea NOT NULL,
        size  bigint NOT NULL,
        mtime float8 NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'members in claim order',
    // The claim takes the first claimable member by (step, id): with this index it reads a few
    // rows from the front instead of sorting every member of the experiment at every claim.
    // No status predicate: a claim changes only status and lease columns, and an index that
    // does not mention them keeps those updates HOT (no index entries to add).
    sql: `CREATE INDEX members_claim_order ON members (experiment_id, step, id);`,
  },
];

export const latestSchemaVersion = Math.max(...migrations.map((m) => m.version));

/** Arbitrary first key of pbt's advisory locks ('pbt' in ASCII); the second is the schema's hash. */
const LOCK_CLASS = 0x706274;

/**
 * Brings `schema` up to date. Cheap when it already is (one read, no lock, no DDL, so a role
 * without CREATE rights can open an existing store). Otherwise, inside the caller's
 * transaction, takes a transaction-scoped advisory lock keyed by the schema, so that many
 * workers starting at once apply each migration exactly once: the others wait for the lock,
 * then find the schema current. The lock ends with the transaction.
 */
export async function migrate(
  tx: Queryable,
  schema: string,
  where: string,
  mustExist = false,
): Promise<void> {
  const seen = await currentVersion(tx, schema);
  if (seen === latestSchemaVersion) return;
  // A read-only command must not create a store where a typo in --store pointed it.
  if (seen === null && mustExist) {
    throw new PbtError(
      'NOT_FOUND',
      `no such store: ${where} has no pbt tables; check --store (\`pbt run\` creates a store)`,
    );
  }
  if (seen !== null && seen > latestSchemaVersion) throw tooNew(where, seen);
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
  const exists = await tx.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found',
    [schema],
  );
  if (exists[0]?.found !== true) await tx.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await tx.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_version (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const current = (await currentVersion(tx, schema)) ?? 0;
  if (current > latestSchemaVersion) throw tooNew(where, current);
  // Unqualified names in the migrations resolve through search_path, which is the schema.
  await tx.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    await tx.query(migration.sql);
    await tx.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
  }
}

function tooNew(where: string, version: number): PbtError {
  return new PbtError(
    'SCHEMA_TOO_NEW',
    `the database ${where} has schema version ${version}, but this version of pbt only knows ` +
      `versions up to ${latestSchemaVersion}: upgrade pbt to open it`,
  );
}

/** The schema's version, or null when it has no version table yet. */
async function currentVersion(tx: Queryable, schema: string): Promise<number | null> {
  const table = await tx.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
    `${quoteIdent(schema)}.schema_version`,
  ]);
  if (table[0]?.t === null || table[0]?.t === undefined) return null;
  const rows = await tx.query<{ v: number | null }>(
    `SELECT MAX(version) AS v FROM ${quoteIdent(schema)}.schema_version`,
  );
  return rows[0]?.v ?? null;
}
