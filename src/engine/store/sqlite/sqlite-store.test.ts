import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PbtError } from '../../core/errors.js';
import { describeStoreConformance } from '../../testing/store-conformance.js';
import { latestSchemaVersion, migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

let dir: string | null = null;

/** A fresh temp directory per test; every `new SqliteStore(path)` is another connection. */
function dbPath(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'pbt-sqlite-store-'));
  return join(dir, 'pbt.db');
}

function removeDir(): Promise<void> {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
  return Promise.resolve();
}

describeStoreConformance('SqliteStore', {
  open: () => Promise.resolve(new SqliteStore(dbPath())),
  cleanup: removeDir,
});

describe('SqliteStore on disk', () => {
  afterEach(removeDir);

  it('read-only: reads beside a writer without blocking it and refuses writes', async () => {
    const writer = new SqliteStore(dbPath());
    await writer.createExperiment({
      id: 'exp',
      task: 'toy',
      config: {},
      seed: 1,
      members: [{ lr: 0.1 }],
      now: 1,
    });
    const reader = new SqliteStore(dbPath(), { readOnly: true, busyTimeoutMs: 50 });
    try {
      expect((await reader.listMembers('exp')).map((m) => m.id)).toEqual([0]);
      // The writer commits while the reader is open: WAL readers take no lock writers wait for.
      const lease = await writer.claimMember('exp', { workerId: 'w', leaseMs: 1000, now: 2 });
      expect(lease?.memberId).toBe(0);
      expect((await reader.listMembers('exp'))[0]?.status).toBe('running');
      await expect(reader.setExperimentStatus('exp', 'done')).rejects.toThrow(/readonly/i);
      expect((await writer.getExperiment('exp'))?.status).toBe('running');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('read-only: refuses to open a missing file instead of creating it', () => {
    expect(() => new SqliteStore(join(dbPath(), '..', 'missing.db'), { readOnly: true })).toThrow();
  });

  it('uses WAL, foreign keys and records the schema version', async () => {
    const store = new SqliteStore(dbPath());
    await store.close();
    const db = new Database(dbPath(), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all();
      expect(versions).toEqual(migrations.map((m) => ({ version: m.version })));
    } finally {
      db.close();
    }
  });

  it('numbers migrations 1, 2, 3, … in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestSchemaVersion).toBe(migrations.length);
  });

  it('retries a write whose lock stays busy past busy_timeout, instead of failing', async () => {
    const path = dbPath();
    const store = new SqliteStore(path, { busyTimeoutMs: 20 });
    await store.createExperiment({
      id: 'exp',
      task: 'toy',
      config: {},
      seed: 1,
      members: [{ lr: 0.1 }],
      now: 0,
    });
    // Another process holds the write lock for longer than the busy timeout.
    const other = new Database(path);
    other.prepare('BEGIN IMMEDIATE').run();
    setTimeout(() => other.prepare('COMMIT').run(), 300);
    const lease = await store.claimMember('exp', { workerId: 'w', leaseMs: 60_000, now: 1 });
    expect(lease?.memberId).toBe(0);
    other.close();
    await store.close();
  });

  it('keeps data across reopening and does not re-run migrations', async () => {
    const first = new SqliteStore(dbPath());
    await first.createExperiment({
      id: 'exp',
      task: 'toy',
      config: { a: 1 },
      seed: 1,
      members: [{ lr: 0.1 }],
      now: 5,
    });
    await first.close();
    const second = new SqliteStore(dbPath());
    expect(await second.getExperiment('exp')).toMatchObject({ config: { a: 1 }, createdAt: 5 });
    await second.close();
    const db = new Database(dbPath(), { readonly: true });
    const count = db.prepare('SELECT COUNT(*) AS n FROM schema_version').get();
    db.close();
    expect(count).toEqual({ n: migrations.length });
  });

  it('refuses a database made by a newer version of pbt', async () => {
    await new SqliteStore(dbPath()).close();
    const db = new Database(dbPath());
    db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(
      latestSchemaVersion + 1,
      'from the future',
      0,
    );
    db.close();
    let error: unknown = null;
    try {
      new SqliteStore(dbPath());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PbtError);
    expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW' });
    expect((error as Error).message).toMatch(/version \d+.*upgrade pbt/);
  });

  it('keeps results append-only', async () => {
    const store = new SqliteStore(dbPath());
    await store.createExperiment({
      id: 'exp',
      task: 'toy',
      config: {},
      seed: 1,
      members: [{ lr: 0.1 }],
      now: 5,
    });
    const lease = await store.claimMember('exp', { workerId: 'w', leaseMs: 1000, now: 5 });
    if (lease === null) throw new Error('expected a lease');
    await store.recordResult(lease, {
      step: 1,
      metrics: { score: 0.5 },
      hparams: { lr: 0.1 },
      checkpoint: 'ck',
      done: false,
      now: 6,
      trainSeconds: 1,
    });
    await store.close();
    const db = new Database(dbPath());
    expect(() => db.prepare('UPDATE results SET score = 1').run()).toThrow(/append-only/);
    db.close();
  });
});
