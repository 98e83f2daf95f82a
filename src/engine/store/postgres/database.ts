import type pg from 'pg';
import { createPool, redactPassword, type PostgresTarget } from './connection.js';
import { migrate } from './migrations.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

/** What a transaction's work sees: one connection, rows out. */
export interface Queryable {
  /**
   * `name` makes it a named prepared statement: parsed and planned once per connection, then
   * only bound and executed (the hot path's statements; one name per SQL text).
   */
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    name?: string,
  ): Promise<R[]>;
}

/**
 * How durable a statement run outside a transaction must be when it returns:
 * - 'durable': committed and flushed to the WAL on disk (the server's `synchronous_commit`).
 * - 'relaxed': committed and visible to every session at once, but the server acknowledges it
 *   before its WAL reaches the disk (`synchronous_commit = off`): a server crash within about
 *   0.6 s may undo it. Only for writes that are safe to lose: a claim (a lost claim is a lease
 *   nobody holds; its worker's next write fails the fence) and a heartbeat (a lost renewal only
 *   shortens the lease). The WAL is flushed in order, so any durable commit after it makes it
 *   durable too.
 */
export type Durability = 'durable' | 'relaxed';

export interface PostgresDatabaseOptions {
  /** Connections per process (default 3: a worker makes one request at a time). */
  readonly poolSize?: number;
  /** How long requests keep retrying through connection loss (default: up to 5 minutes). */
  readonly retry?: RetryPolicy;
  /**
   * Retry budget of the first connection and migrations (default 30 s): long enough to ride out
   * a server restart, short enough that a wrong URL fails promptly.
   */
  readonly openRetry?: RetryPolicy;
  /** Server-side cap on one statement (default 60 s); null for none (large checkpoints). */
  readonly statementTimeoutMs?: number | null;
  /** Told about every retry (e.g. to log "connection lost, retrying in 400 ms"). */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Fail with "no such store" instead of creating pbt's tables (read-only commands). */
  readonly mustExist?: boolean;
  /**
   * Every transaction read-only (the server refuses writes): for viewers such as the dashboard.
   * The schema must already be migrated.
   */
  readonly readOnly?: boolean;
}

const DEFAULT_OPEN_RETRY: RetryPolicy = { ...DEFAULT_RETRY, maxElapsedMs: 30_000 };

/**
 * A connection pool to one schema, with the two ways pbt talks to PostgreSQL: retried
 * single statements (reads, idempotent writes) and retried transactions. The schema is migrated
 * before the first request.
 */
export class PostgresDatabase {
  readonly schema: string;
  /** The URL without its password, for messages. */
  readonly where: string;
  private readonly pool: pg.Pool;
  /** Sessions with `synchronous_commit = off`, for 'relaxed' statements only. */
  private readonly relaxedPool: pg.Pool;
  private readonly retry: RetryPolicy;
  private readonly openRetry: RetryPolicy;
  private readonly onRetry: PostgresDatabaseOptions['onRetry'];
  private schemaReady: Promise<void> | null = null;
  private readonly mustExist: boolean;

  constructor(target: PostgresTarget, options: PostgresDatabaseOptions = {}) {
    this.schema = target.schema;
    this.where = `${redactPassword(target.connectionString)} (schema ${target.schema})`;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.openRetry = options.openRetry ?? DEFAULT_OPEN_RETRY;
    this.onRetry = options.onRetry;
    this.mustExist = options.mustExist ?? false;
    const settings = {
      max: options.poolSize ?? 3,
      statementTimeoutMs:
        options.statementTimeoutMs === undefined ? 60_000 : options.statementTimeoutMs,
      idleInTransactionTimeoutMs: 60_000,
      readOnly: options.readOnly === true,
    };
    this.pool = createPool(target, settings);
    this.relaxedPool = createPool(target, { ...settings, max: 2, synchronousCommit: false });
  }

  /** Connects and migrates, once; a failed attempt is forgotten so the next call tries again. */
  ensureSchema(): Promise<void> {
    this.schemaReady ??= withRetry(
      () => this.attempt((tx) => migrate(tx, this.schema, this.where, this.mustExist)),
      this.openRetry,
      this.hooks(),
    ).catch((err: unknown) => {
      this.schemaReady = null;
      throw err;
    });
    return this.schemaReady;
  }

  /**
   * Runs `work` in a transaction (READ COMMITTED; the stores lock the rows they need), retrying
   * the whole transaction on transient failures. `attempt` is 0 on the first run: a write whose
   * earlier attempt may have committed uses it to look for its own outcome first.
   */
  async transaction<T>(
    work: (tx: Queryable, attempt: number) => Promise<T>,
    alsoRetry?: (err: unknown) => boolean,
  ): Promise<T> {
    await this.ensureSchema();
    return withRetry((attempt) => this.attempt((tx) => work(tx, attempt)), this.retry, {
      ...this.hooks(),
      ...(alsoRetry ? { alsoRetry } : {}),
    });
  }

  /**
   * Runs `work` outside a transaction, retrying the whole of it on transient failures: each of
   * its statements commits on its own, so each must be a complete, consistent change (the
   * PostgreSQL store's lease writes are single statements that check the fence and write
   * everything in one go). `attempt` is 0 on the first run, as in `transaction`.
   */
  async autocommit<T>(
    work: (db: Queryable, attempt: number) => Promise<T>,
    options: {
      readonly durability?: Durability;
      readonly alsoRetry?: (err: unknown) => boolean;
    } = {},
  ): Promise<T> {
    await this.ensureSchema();
    const pool = options.durability === 'relaxed' ? this.relaxedPool : this.pool;
    const db = queryableOn(pool);
    return withRetry((attempt) => work(db, attempt), this.retry, {
      ...this.hooks(),
      ...(options.alsoRetry ? { alsoRetry: options.alsoRetry } : {}),
    });
  }

  /** One statement on its own (autocommit), retried: reads and idempotent writes only. */
  async query<R extends object = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
    name?: string,
  ): Promise<R[]> {
    return this.autocommit((db) => db.query<R>(sql, params, name));
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
    if (!this.relaxedPool.ended) await this.relaxedPool.end();
  }

  private hooks(): { onRetry?: NonNullable<PostgresDatabaseOptions['onRetry']> } {
    return this.onRetry ? { onRetry: this.onRetry } : {};
  }

  /** One try: BEGIN, work, COMMIT; any failure rolls back. A broken connection is discarded. */
  private async attempt<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    // A connection that breaks while checked out emits 'error': the pool gives every client a
    // no-op listener (connection.ts), and the failing query reports it.
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const tx = queryableOn(client);
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

/** Something pg can run a statement on: the pool (autocommit) or one checked-out client. */
interface StatementRunner {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** `name` makes the statement a named prepared one (see Queryable). */
function queryableOn(runner: StatementRunner): Queryable {
  return {
    query: async <R extends object>(sql: string, params: readonly unknown[] = [], name?: string) =>
      (
        await runner.query<R & pg.QueryResultRow>(
          name === undefined
            ? { text: sql, values: params as unknown[] }
            : { name, text: sql, values: params as unknown[] },
        )
      ).rows,
  };
}
