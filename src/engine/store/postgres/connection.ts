import pg from 'pg';
import { ConfigError, PbtError } from '../../core/errors.js';
import { isPostgresUrl, redactPassword } from '../store-url.js';

export { isPostgresUrl, redactPassword };

/** Where a PostgreSQL store or checkpoint store lives: a server, a database, and a schema in it. */
export interface PostgresTarget {
  /** The connection string handed to `pg`, without the parameters pbt reads itself. */
  readonly connectionString: string;
  /** Schema holding pbt's tables; every connection's `search_path` is set to it. */
  readonly schema: string;
  /** `options` from the URL (e.g. `-c work_mem=64MB`), kept and passed on to the server. */
  readonly serverOptions: string;
}

/** pbt's tables live in their own schema unless the URL names another (`?schema=`). */
export const DEFAULT_SCHEMA = 'pbt';

/** Lowercase unquoted identifiers only: the name goes into `search_path` and DDL verbatim. */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads a `postgres://user[:password]@host[:port]/database[?schema=name&...]` URL. `schema`
 * is pbt's own parameter (default `pbt`); every other parameter (sslmode, application_name,
 * options, …) goes to the `pg` driver. Host, user and password may also come from the usual
 * PGHOST/PGUSER/PGPASSWORD variables or ~/.pgpass, which keeps passwords out of command lines.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const trimmed = url.trim();
  if (!isPostgresUrl(trimmed)) {
    throw new ConfigError(
      `'${redactPassword(trimmed)}' is not a PostgreSQL URL: write postgres://user@host:5432/database`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new ConfigError(
      `cannot parse the PostgreSQL URL '${redactPassword(trimmed)}': write postgres://user@host:5432/database`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ConfigError(
      `the schema '${schema}' in ${redactPassword(trimmed)} is not a plain lowercase name: use letters, digits and _ (e.g. ?schema=pbt_team)`,
    );
  }
  const serverOptions = parsed.searchParams.get('options') ?? '';
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), schema, serverOptions };
}

/** A URL with `schema` set (replacing any), e.g. for a test's private schema. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url.trim());
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** Double-quoted identifier (the schema pattern already excludes quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const INT8_OID = 20;

/**
 * BIGINT columns (steps, tokens, row ids) come back as JavaScript numbers, not strings. A value
 * beyond 2^53 cannot be represented exactly; refuse it rather than round it silently.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new PbtError('CORRUPT', `stored integer ${text} is too large for a JavaScript number`);
  }
  return n;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: string): ((value: string) => unknown) =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : (pg.types.getTypeParser(oid, format as 'text') as (
          value: string,
        ) => unknown)) as typeof pg.types.getTypeParser,
};

export interface PoolSettings {
  readonly max: number;
  /** Server-side cap on one statement (also bounds lock waits); null for none. */
  readonly statementTimeoutMs: number | null;
  /**
   * The server ends a session that sits inside a transaction this long, so the row locks of a
   * client that vanished without closing its socket (machine loss) do not block others for
   * the kernel's TCP timeout (hours).
   */
  readonly idleInTransactionTimeoutMs: number;
  /** Sessions whose transactions are all read-only (default_transaction_read_only). */
  readonly readOnly?: boolean;
  /** false: commits do not wait for the WAL flush (see Durability in database.ts). */
  readonly synchronousCommit?: boolean;
}

export function createPool(target: PostgresTarget, settings: PoolSettings): pg.Pool {
  const serverSettings = [
    `-c search_path=${target.schema}`,
    `-c idle_in_transaction_session_timeout=${settings.idleInTransactionTimeoutMs}`,
    ...(settings.statementTimeoutMs === null
      ? []
      : [`-c statement_timeout=${settings.statementTimeoutMs}`]),
    ...(settings.readOnly === true ? ['-c default_transaction_read_only=on'] : []),
    ...(settings.synchronousCommit === false ? ['-c synchronous_commit=off'] : []),
  ];
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    options: [target.serverOptions, ...serverSettings].filter((s) => s !== '').join(' '),
    max: settings.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // Notice a dead server or network path between requests, not hours later.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // An idle pool must not keep a finished CLI process alive.
    allowExitOnIdle: true,
    types: typeParsers,
  });
  // Idle connections break when the server restarts; the pool drops them and the next
  // request opens a new one. Without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  // The pool's own listener is detached while a client is checked out, and a server restart
  // (FATAL 57P01) can reach a client in a window where nobody listens: one run of the chaos test
  // saw a worker die of an unhandled 'error'. A permanent no-op listener on every client closes
  // every such window; errors still surface through the failing query or the pool.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
