import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { isPostgresUrl } from './postgres/connection.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

const acceptedForms =
  'sqlite:<path> (e.g. sqlite:results/pbt.db), a path ending in .db, ' +
  'postgres://user@host:5432/database[?schema=name] (many machines), or memory: (one process only)';

export interface OpenStoreOptions {
  /** Told about transient failures being retried (PostgreSQL connection loss, restarts). */
  readonly log?: (line: string) => void;
  /**
   * Open for reading only (dashboard): SQLite read-only on an existing file, PostgreSQL with
   * read-only transactions. Writes fail; nothing is created.
   */
  readonly readOnly?: boolean;
}

/**
 * Opens the store a URL names:
 * - `sqlite:<path>` (also `sqlite://<path>`), or a bare path ending in `.db`: a SQLite file,
 *   created with its parent directories when missing;
 * - `postgres://user@host[:port]/database[?schema=name]` (also `postgresql://`): a PostgreSQL
 *   database shared by workers on any number of machines (tables in schema `pbt` by default);
 * - `memory:`: an in-process store, gone when the process ends.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const trimmed = url.trim();
  if (trimmed === 'memory:') return new MemoryStore();
  if (isPostgresUrl(trimmed)) {
    const { log } = options;
    return PostgresStore.open(trimmed, {
      ...(log
        ? {
            onRetry: (err: unknown, attempt: number, delayMs: number) =>
              log(
                `store: ${(err as Error).message ?? String(err)}; retry ${attempt} in ${Math.round(delayMs)} ms`,
              ),
          }
        : {}),
      ...(options.readOnly === true ? { readOnly: true } : {}),
    });
  }
  const path = sqlitePath(trimmed);
  if (path === null) {
    throw new ConfigError(`cannot open the store '${url}': use ${acceptedForms}`);
  }
  if (path === '') {
    throw new ConfigError(`the store URL '${url}' names no file: write sqlite:<path>`);
  }
  const absolute = resolve(path);
  if (options.readOnly === true) {
    if (!existsSync(absolute)) {
      throw new ConfigError(
        `no SQLite store at '${path}': check --store (a run creates it, e.g. \`pbt run toy\`)`,
      );
    }
    return new SqliteStore(absolute, { readOnly: true });
  }
  await mkdir(dirname(absolute), { recursive: true });
  return new SqliteStore(absolute);
}

/** The file a SQLite store URL names, or null when `url` is not one. */
function sqlitePath(url: string): string | null {
  const match = /^sqlite:(?:\/\/)?(.*)$/i.exec(url);
  if (match) return match[1] ?? '';
  if (/\.db$/i.test(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return null;
}
