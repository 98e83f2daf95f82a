import path from 'node:path';
import { ConfigError } from '../core/errors.js';

/**
 * Store URLs, read in one place: which kind of store a URL names and where it is. Opening the
 * store (open-store.ts) and every command that takes `--store` go through here.
 */
export type StoreLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

const acceptedForms =
  'sqlite:<path> (e.g. sqlite:results/pbt.db), a path ending in .db, ' +
  'postgres://user@host:5432/database[?schema=name] (many machines), or memory: (one process only)';

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/**
 * - `sqlite:<path>` (also `sqlite://<path>`), or a bare path ending in `.db`: a SQLite file;
 * - `postgres://user@host[:port]/database[?schema=name]` (also `postgresql://`);
 * - `memory:`: an in-process store, gone when the process ends.
 */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (trimmed === 'memory:') return { kind: 'memory' };
  if (isPostgresUrl(trimmed)) return { kind: 'postgres', url: trimmed };
  const file = sqlitePath(trimmed);
  if (file === null) {
    throw new ConfigError(`cannot open the store '${redactPassword(url)}': use ${acceptedForms}`);
  }
  if (file === '') {
    throw new ConfigError(`the store URL '${url}' names no file: write sqlite:<path>`);
  }
  return { kind: 'sqlite', path: path.resolve(file) };
}

/** The file a SQLite store URL names, or null when `url` is not one. */
function sqlitePath(url: string): string | null {
  const match = /^sqlite:(?:\/\/)?(.*)$/i.exec(url);
  if (match) return match[1] ?? '';
  if (/\.db$/i.test(url) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return null;
}

/** Relative SQLite paths are made absolute so every worker process opens the same file. */
export function resolveStoreUrl(url: string): string {
  if (url.startsWith('sqlite:')) return `sqlite:${path.resolve(url.slice('sqlite:'.length))}`;
  if (url.endsWith('.db') && !url.includes('://')) return `sqlite:${path.resolve(url)}`;
  return url;
}

/** A connection string may carry a password; logs and error messages must not. */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
