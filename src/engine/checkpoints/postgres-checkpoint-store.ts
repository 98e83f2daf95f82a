import { CheckpointCorruptError, NotFoundError } from '../core/errors.js';
import { parsePostgresUrl, type PostgresTarget } from '../store/postgres/connection.js';
import { PostgresDatabase, type PostgresDatabaseOptions } from '../store/postgres/database.js';
import type { CheckpointInfo, CheckpointStore, GcReport } from './checkpoint-store.js';
import { assertCheckpointKey, checkpointKey } from './filesystem-checkpoint-store.js';

export interface PostgresCheckpointStoreOptions extends PostgresDatabaseOptions {
  /** False: `gc` deletes nothing (a database shared by several stores). Default true. */
  readonly collect?: boolean;
}

/** Server time in ms: one clock for `mtime`, whichever host wrote the checkpoint. */
const SERVER_NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)::float8`;

/**
 * Checkpoints inside the PostgreSQL database, for clusters without a shared file system: one
 * `bytea` row per checkpoint in the `checkpoints` table of the store's schema, keyed by the
 * sha256 of the bytes.
 *
 * - `put` is one INSERT, so a reader sees no row or the whole value. A second put of the same
 *   key refreshes `mtime` (the caller is about to reference it; gc must see it as new) and, if
 *   the stored bytes no longer hash to the key, replaces them.
 * - `get` hashes what it received and throws CheckpointCorruptError on a mismatch: this checks
 *   the database and the whole path between it and the worker.
 * - Every request is retried through connection loss; all of them are idempotent.
 * - A value is limited to 1 GB by PostgreSQL and travels whole through memory; for models of
 *   hundreds of MB prefer a shared file system (FilesystemCheckpointStore).
 */
export class PostgresCheckpointStore implements CheckpointStore {
  private readonly db: PostgresDatabase;

  private readonly collect: boolean;

  constructor(target: string | PostgresTarget, options: PostgresCheckpointStoreOptions = {}) {
    const { collect = true, ...dbOptions } = options;
    this.collect = collect;
    this.db = new PostgresDatabase(typeof target === 'string' ? parsePostgresUrl(target) : target, {
      poolSize: 2,
      // A large checkpoint over a slow link may take a while; the session timeouts still apply.
      statementTimeoutMs: null,
      ...dbOptions,
    });
  }

  get schema(): string {
    return this.db.schema;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = checkpointKey(bytes);
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.db.query(
      `INSERT INTO checkpoints AS c (key, bytes, size, mtime)
       VALUES ($1, $2, $3, ${SERVER_NOW_MS})
       ON CONFLICT (key) DO UPDATE SET
         mtime = EXCLUDED.mtime,
         size = EXCLUDED.size,
         bytes = CASE WHEN sha256(c.bytes) = decode(c.key, 'hex') THEN c.bytes
                      ELSE EXCLUDED.bytes END`,
      [key, buffer, bytes.byteLength],
    );
    return key;
  }

  async get(key: string): Promise<Uint8Array> {
    assertCheckpointKey(key);
    // Base64 is a third smaller on the wire than bytea's default hex text.
    const rows = await this.db.query<{ data: string }>(
      `SELECT encode(bytes, 'base64') AS data FROM checkpoints WHERE key = $1`,
      [key],
    );
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(`checkpoint ${key}`);
    const buf = Buffer.from(row.data, 'base64');
    if (checkpointKey(buf) !== key) throw new CheckpointCorruptError(key);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async has(key: string): Promise<boolean> {
    assertCheckpointKey(key);
    const rows = await this.db.query('SELECT 1 FROM checkpoints WHERE key = $1', [key]);
    return rows.length > 0;
  }

  /** Removes the checkpoint; deleting a key that is not there is not an error. */
  async delete(key: string): Promise<void> {
    assertCheckpointKey(key);
    await this.db.query('DELETE FROM checkpoints WHERE key = $1', [key]);
  }

  /** Every stored checkpoint, sorted by key. */
  async list(): Promise<CheckpointInfo[]> {
    const rows = await this.db.query<{ key: string; size: number; mtime: number }>(
      'SELECT key, size, mtime FROM checkpoints ORDER BY key',
    );
    return rows.map((r) => ({ key: r.key, bytes: r.size, mtime: r.mtime }));
  }

  /**
   * Deletes the checkpoints not in `referenced` whose `mtime` is at least `minAgeMs` before
   * `now`, in one statement. Young ones stay: a checkpoint just written may not be referenced
   * in the population store yet. Take `now` before reading `referenced`: a `put` of an existing
   * key refreshes its mtime (server clock), so a key taken into use after that read is young;
   * a `put` racing this DELETE waits for its row lock and then inserts the row anew.
   */
  async gc(referenced: ReadonlySet<string>, minAgeMs: number, now: number): Promise<GcReport> {
    if (!this.collect) {
      const [row] = await this.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM checkpoints',
      );
      return { deleted: 0, freedBytes: 0, kept: row?.n ?? 0 };
    }
    const rows = await this.db.query<{ deleted: number; freed: number; total: number }>(
      `WITH gone AS (
         DELETE FROM checkpoints
         WHERE NOT (key = ANY($1::text[])) AND $2::float8 - mtime >= $3::float8
         RETURNING size
       )
       SELECT (SELECT count(*) FROM gone) AS deleted,
              (SELECT coalesce(sum(size), 0) FROM gone)::bigint AS freed,
              (SELECT count(*) FROM checkpoints) AS total`,
      [[...referenced], now, minAgeMs],
    );
    const row = rows[0] ?? { deleted: 0, freed: 0, total: 0 };
    // `total` counts the rows as they were before this statement's delete.
    return { deleted: row.deleted, freedBytes: row.freed, kept: row.total - row.deleted };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
