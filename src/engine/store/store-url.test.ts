import { describe, expect, it } from 'vitest';
import { passwordOf, redactPassword, withoutPassword, withPasswordFrom } from './store-url.js';

describe('store URLs never carry a password into logs or storage', () => {
  it('masks both password forms, anywhere in a text', () => {
    expect(redactPassword('postgres://u:pw@h/db')).toBe('postgres://u:***@h/db');
    expect(redactPassword('postgres://u@h/db?password=pw&schema=x')).toBe(
      'postgres://u@h/db?password=***&schema=x',
    );
    expect(redactPassword("cannot open 'postgresql://u@h/db?sslmode=x&PASSWORD=pw' now")).toBe(
      "cannot open 'postgresql://u@h/db?sslmode=x&PASSWORD=***' now",
    );
    expect(redactPassword('a postgres://a:1@h/x and postgres://b:2@h/y')).toBe(
      'a postgres://a:***@h/x and postgres://b:***@h/y',
    );
    expect(redactPassword('postgres://u@h/db')).toBe('postgres://u@h/db');
  });

  it('strips the password (both forms) and keeps everything else', () => {
    expect(withoutPassword('postgres://u:p%40ss@h:5432/db?schema=s')).toBe(
      'postgres://u@h:5432/db?schema=s',
    );
    expect(withoutPassword('postgres://u@h/db?password=pw&schema=s')).toBe(
      'postgres://u@h/db?schema=s',
    );
    expect(withoutPassword('postgres://u@h/db?schema=s')).toBe('postgres://u@h/db?schema=s');
    expect(withoutPassword('sqlite:/x/pbt.db')).toBe('sqlite:/x/pbt.db');
    expect(passwordOf('postgres://u:p%40ss@h/db')).toBe('p@ss');
    expect(passwordOf('postgres://u@h/db?password=pw')).toBe('pw');
    expect(passwordOf('postgres://u@h/db')).toBeUndefined();
  });

  it('borrows the command-line password only for the same server and user', () => {
    const stored = 'postgres://u@h:5432/blobs?schema=c';
    expect(withPasswordFrom(stored, 'postgres://u:pw@h:5432/db')).toBe(
      'postgres://u:pw@h:5432/blobs?schema=c',
    );
    expect(withPasswordFrom(stored, 'postgres://other:pw@h:5432/db')).toBe(stored);
    expect(withPasswordFrom(stored, 'postgres://u:pw@elsewhere:5432/db')).toBe(stored);
    expect(withPasswordFrom(stored, undefined)).toBe(stored);
  });
});
