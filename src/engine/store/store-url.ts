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

/**
 * A connection string may carry a password (`user:secret@` or `?password=secret`); logs, error
 * messages and exports must not. Works on a URL or on any text that contains URLs.
 */
export function redactPassword(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s'"]*):[^@/\s'"]*@/gi, '$1:***@')
    .replace(/([?&]password=)[^&#\s'"]*/gi, '$1***');
}

/**
 * The URL without its password: what pbt stores and passes on a command line. The password
 * then comes from the URL given to each command, PGPASSWORD or ~/.pgpass (read by `pg`).
 */
export function withoutPassword(url: string): string {
  if (!isPostgresUrl(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return redactPassword(url);
  }
  if (parsed.password === '' && !parsed.searchParams.has('password')) return url.trim();
  parsed.password = '';
  parsed.searchParams.delete('password');
  return parsed.toString();
}

/** The password a PostgreSQL URL carries, if any. */
export function passwordOf(url: string): string | undefined {
  if (!isPostgresUrl(url)) return undefined;
  try {
    const parsed = new URL(url.trim());
    const inQuery = parsed.searchParams.get('password');
    if (parsed.password !== '') return decodeURIComponent(parsed.password);
    return inQuery ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * `target` with the password of `source` when both name the same server and user and `target`
 * has none: a stored checkpoint URL (kept without its password) reached with the credentials
 * of the --store URL given to this command.
 */
export function withPasswordFrom(target: string, source: string | undefined): string {
  if (source === undefined || !isPostgresUrl(target) || passwordOf(target) !== undefined)
    return target;
  const password = passwordOf(source);
  if (password === undefined) return target;
  try {
    const t = new URL(target.trim());
    const s = new URL(source.trim());
    if (t.host !== s.host || t.username !== s.username) return target;
    t.password = encodeURIComponent(password);
    return t.toString();
  } catch {
    return target;
  }
}
