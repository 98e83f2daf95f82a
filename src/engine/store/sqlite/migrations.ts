import type Database from 'better-sqlite3';
import { PbtError } from '../../core/errors.js';

/**
 * The SQLite schema as an ordered list of migrations. Never edit a released migration: append a
 * new one. Opening a database applies the missing ones in one transaction and records each in
 * `schema_version`.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'experiments, members, results, lineage',
    // Scores must be finite: SQLite reads 9e999 as +Infinity, and stores NaN as NULL.
    sql: `
      CREATE TABLE experiments (
        id              TEXT PRIMARY KEY,
        task            TEXT NOT NULL,
        config          TEXT NOT NULL,
        seed            INTEGER NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'done')),
        created_at      INTEGER NOT NULL,
        population_size INTEGER NOT NULL
      );

      CREATE TABLE members (
        experiment_id        TEXT NOT NULL REFERENCES experiments (id),
        id                   INTEGER NOT NULL,
        hparams              TEXT NOT NULL,
        step                 INTEGER NOT NULL,
        score                REAL CHECK (score IS NULL OR abs(score) < 9e999),
        last_failed          INTEGER NOT NULL CHECK (last_failed IN (0, 1)),
        checkpoint           TEXT,
        status               TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
        decision_due         INTEGER NOT NULL CHECK (decision_due IN (0, 1)),
        consecutive_failures INTEGER NOT NULL,
        failure_reason       TEXT,
        lease_owner          TEXT,
        lease_expires_at     INTEGER,
        token                INTEGER NOT NULL,
        PRIMARY KEY (experiment_id, id)
      );
      -- The claim reads the active members of one experiment.
      CREATE INDEX members_claim ON members (experiment_id, status, step, id);
      CREATE INDEX members_checkpoint ON members (checkpoint) WHERE checkpoint IS NOT NULL;

      CREATE TABLE results (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id TEXT NOT NULL,
        member_id     INTEGER NOT NULL,
        step          INTEGER NOT NULL,
        score         REAL CHECK (score IS NULL OR abs(score) < 9e999),
        metrics       TEXT,
        error         TEXT,
        hparams       TEXT NOT NULL,
        checkpoint    TEXT,
        time          INTEGER NOT NULL,
        train_seconds REAL NOT NULL,
        FOREIGN KEY (experiment_id, member_id) REFERENCES members (experiment_id, id)
      );
      CREATE INDEX results_listing ON results (experiment_id, member_id, step, id);

      CREATE TABLE lineage (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id    TEXT NOT NULL,
        member_id        INTEGER NOT NULL,
        step             INTEGER NOT NULL,
        donor            INTEGER NOT NULL,
        donor_step       INTEGER NOT NULL,
        donor_checkpoint TEXT NOT NULL,
        old_hparams      TEXT NOT NULL,
        new_hparams      TEXT NOT NULL,
        operations       TEXT NOT NULL,
        time             INTEGER NOT NULL,
        FOREIGN KEY (experiment_id, member_id) REFERENCES members (experiment_id, id),
        FOREIGN KEY (experiment_id, donor) REFERENCES members (experiment_id, id)
      );
      CREATE INDEX lineage_listing ON lineage (experiment_id, id);

      -- Results and lineage are history: append-only.
      CREATE TRIGGER results_append_only BEFORE UPDATE ON results
        BEGIN SELECT RAISE(ABORT, 'results are append-only'); END;
      CREATE TRIGGER lineage_append_only BEFORE UPDATE ON lineage
        BEGIN SELECT RAISE(ABORT, 'lineage events are append-only'); END;
    `,
  },
];

/** The schema version this code writes; a database with a higher one was made by a newer pbt. */
export const latestSchemaVersion = Math.max(...migrations.map((m) => m.version));

/** Brings the schema up to date, or throws when the database is newer than this code. */
export function applyMigrations(db: Database.Database, where: string, now: number): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db
      .prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_version')
      .get();
    const current = row?.v ?? 0;
    if (current > latestSchemaVersion) {
      throw new PbtError(
        'SCHEMA_TOO_NEW',
        `the database ${where} has schema version ${current}, but this version of pbt only knows ` +
          `versions up to ${latestSchemaVersion}: upgrade pbt to open it`,
      );
    }
    const record = db.prepare(
      'INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now);
    }
  }).immediate();
}
