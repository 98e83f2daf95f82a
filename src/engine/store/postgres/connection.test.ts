import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import {
  DEFAULT_SCHEMA,
  isPostgresUrl,
  parsePostgresUrl,
  redactPassword,
  withSchema,
} from './connection.js';

describe('parsePostgresUrl', () => {
  it('takes pbt’s schema parameter out and passes the rest to the driver', () => {
    const target = parsePostgresUrl(
      'postgres://pbt:secret@db.internal:6432/tuning?schema=team_a&sslmode=require&options=-c%20work_mem%3D64MB',
    );
    expect(target.schema).toBe('team_a');
    expect(target.serverOptions).toBe('-c work_mem=64MB');
    const passed = new URL(target.connectionString);
    expect(passed.searchParams.get('schema')).toBeNull();
    expect(passed.searchParams.get('options')).toBeNull();
    expect(passed.searchParams.get('sslmode')).toBe('require');
    expect([passed.username, passed.password, passed.host, passed.pathname]).toEqual([
      'pbt',
      'secret',
      'db.internal:6432',
      '/tuning',
    ]);
  });

  it('defaults to the pbt schema and accepts postgresql://', () => {
    expect(parsePostgresUrl('postgresql://localhost/test').schema).toBe(DEFAULT_SCHEMA);
    expect(isPostgresUrl(' POSTGRES://h/db')).toBe(true);
    expect(isPostgresUrl('sqlite:x.db')).toBe(false);
  });

  it('refuses schema names that are not plain identifiers, without echoing the password', () => {
    for (const schema of ['Team', 'a-b', '1x', 'x;drop', '"q"']) {
      const url = `postgres://u:secret@h/db?schema=${encodeURIComponent(schema)}`;
      expect(() => parsePostgresUrl(url)).toThrow(ConfigError);
      expect(() => parsePostgresUrl(url)).not.toThrow(/secret/);
    }
  });

  it('sets a schema on a URL and hides passwords in messages', () => {
    expect(withSchema('postgres://u@h/db?schema=a&x=1', 'b')).toBe(
      'postgres://u@h/db?schema=b&x=1',
    );
    expect(redactPassword('postgres://u:pw@h/db')).toBe('postgres://u:***@h/db');
    expect(redactPassword('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
