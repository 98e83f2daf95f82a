import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../test/fixtures/postgres-test-database.js';
import { ConfigError } from '../core/errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { openStore } from './open-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

describe('openStore', () => {
  let dir: string | null = null;
  const tempDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), 'pbt-open-store-')));
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('opens a SQLite file named by sqlite:<path>, creating its parent directories', async () => {
    const path = join(tempDir(), 'nested', 'deeper', 'pbt.db');
    for (const url of [`sqlite:${path}`, `sqlite://${path}`]) {
      const store = await openStore(url);
      expect(store).toBeInstanceOf(SqliteStore);
      expect((store as SqliteStore).path).toBe(path);
      await store.close();
    }
    expect(existsSync(path)).toBe(true);
  });

  it('takes a relative sqlite: path and a bare .db path as SQLite files', async () => {
    const path = join(tempDir(), 'sub', 'x.db');
    const rel = relative(process.cwd(), path);
    for (const url of [`sqlite:${rel}`, path]) {
      const store = await openStore(url);
      expect((store as SqliteStore).path).toBe(path);
      await store.close();
    }
  });

  it('opens memory: as an in-process store', async () => {
    expect(await openStore('memory:')).toBeInstanceOf(MemoryStore);
  });

  it('opens postgres:// and postgresql:// URLs as a PostgresStore', async (ctx) => {
    const server = await testPostgres();
    if (server.url === undefined) {
      ctx.skip(server.skip);
      return;
    }
    const schema = uniqueSchema('pbt_open');
    try {
      for (const url of [server.url, server.url.replace(/^postgres:/, 'postgresql:')]) {
        const store = await openStore(schemaUrl(url, schema));
        expect(store).toBeInstanceOf(PostgresStore);
        expect((store as PostgresStore).schema).toBe(schema);
        await store.close();
      }
    } finally {
      await dropSchema(server.url, schema);
    }
  });

  it('refuses a PostgreSQL URL with a bad schema name, without echoing the password', async () => {
    const attempt = openStore('postgres://u:secret@localhost/db?schema=Bad-Name');
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/schema 'Bad-Name'/);
    await expect(attempt).rejects.not.toThrow(/secret/);
  });

  it('rejects anything else with a ConfigError naming the accepted forms', async () => {
    for (const url of ['mysql://localhost/db', 'results/pbt.txt', 'sqlite:', '']) {
      const attempt = openStore(url);
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    }
    await expect(openStore('redis://x')).rejects.toThrow(/sqlite:<path>.*\.db.*memory:/);
  });
});
