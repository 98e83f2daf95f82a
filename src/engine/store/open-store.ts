import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { PbtError } from '../core/errors.js';
import { dirname } from 'node:path';
import { MemoryStore } from './memory/memory-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { parseStoreUrl } from './store-url.js';

export interface OpenStoreOptions {
  /** Told about transient failures being retried (PostgreSQL connection loss, restarts). */
  readonly log?: (line: string) => void;
  /**
   * The store must already exist (read-only commands, resume, worker): a SQLite file is then
   * never created, and a typo in --store says "no such store" instead of "no experiments".
   */
  readonly mustExist?: boolean;
  /**
   * Open for reading only (dashboard): SQLite read-only on an existing file, PostgreSQL with
   * read-only transactions. Writes fail; nothing is created (implies mustExist).
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
  const location = parseStoreUrl(url);
  const readOnly = options.readOnly === true;
  const mustExist = readOnly || options.mustExist === true;
  if (location.kind === 'memory') return new MemoryStore();
  if (location.kind === 'postgres') {
    const { log } = options;
    return PostgresStore.open(location.url, {
      mustExist,
      ...(readOnly ? { readOnly: true } : {}),
      ...(log
        ? {
            onRetry: (err: unknown, attempt: number, delayMs: number) =>
              log(
                `store: ${(err as Error).message ?? String(err)}; retry ${attempt} in ${Math.round(delayMs)} ms`,
              ),
          }
        : {}),
    });
  }
  if (mustExist && !existsSync(location.path)) {
    throw new PbtError(
      'NOT_FOUND',
      `no such store: ${location.path} does not exist; check --store (\`pbt run\` creates a store)`,
    );
  }
  if (readOnly) return new SqliteStore(location.path, { readOnly: true });
  await mkdir(dirname(location.path), { recursive: true });
  return new SqliteStore(location.path);
}
