import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, PbtError } from '../core/errors.js';
import { MemoryStore } from './memory/memory-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

const acceptedForms =
  'sqlite:<path> (e.g. sqlite:results/pbt.db), a path ending in .db, or memory: (one process only)';

/**
 * Opens the store a URL names:
 * - `sqlite:<path>` (also `sqlite://<path>`), or a bare path ending in `.db`: a SQLite file,
 *   created with its parent directories when missing;
 * - `memory:`: an in-process store, gone when the process ends.
 */
export async function openStore(url: string): Promise<Store> {
  const trimmed = url.trim();
  if (trimmed === 'memory:') return new MemoryStore();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    throw new PbtError(
      'UNSUPPORTED',
      `PostgreSQL stores (${redactPassword(trimmed)}) are not supported yet: PostgreSQL support ` +
        `is coming in a later release. Use ${acceptedForms}.`,
    );
  }
  const path = sqlitePath(trimmed);
  if (path === null) {
    throw new ConfigError(`cannot open the store '${url}': use ${acceptedForms}`);
  }
  if (path === '') {
    throw new ConfigError(`the store URL '${url}' names no file: write sqlite:<path>`);
  }
  const absolute = resolve(path);
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

/** A connection string may carry a password; error messages must not. */
function redactPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
