import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { TaskRegistry } from './registry.js';
import { TaskAllowList, executableRef } from './allow-list.js';

const tasks = new TaskRegistry({
  toy: () => Promise.reject(new Error('never loaded by the allow-list')),
});

describe('TaskAllowList', () => {
  it('allows only built-in tasks by default', () => {
    const list = TaskAllowList.parse(undefined, '/work');
    expect(list.allows('toy', tasks)).toBe(true);
    expect(list.allows('/work/tasks/a.ts', tasks)).toBe(false);
    expect(list.allows('./a.ts', tasks)).toBe(false);
    expect(list.allows('not-a-built-in', tasks)).toBe(false);
  });

  it('matches module paths and globs relative to its directory, and named built-ins', () => {
    const list = TaskAllowList.parse('toy, ./tasks/*.ts, /srv/pbt/**', '/work');
    expect(list.allows('toy', tasks)).toBe(true);
    expect(list.allows('/work/tasks/a.ts', tasks)).toBe(true);
    expect(list.allows('/work/tasks/sub/a.ts', tasks)).toBe(false);
    expect(list.allows('/work/tasks/../evil.ts', tasks)).toBe(false);
    expect(list.allows('/srv/pbt/x/y.mjs', tasks)).toBe(true);
    expect(list.allows('/tmp/evil.ts', tasks)).toBe(false);
    expect(TaskAllowList.parse('./tasks/*.ts', '/work').allows('toy', tasks)).toBe(false);
  });

  it('says what is allowed and how to allow more', () => {
    expect(() =>
      TaskAllowList.parse(undefined, '/work').assertAllows('/tmp/evil.ts', tasks, 'exp-1'),
    ).toThrow(/runs the task "\/tmp\/evil.ts".*--allow-tasks builtin,\/tmp\/evil.ts/s);
    expect(() => TaskAllowList.parse(' , ', '/work')).toThrow(ConfigError);
  });

  it('names a trainable by its program: refused by default, allowed as command:<program> or command:*', () => {
    const ref = executableRef({ trainable: { command: ' /usr/bin/python3  train.py --x' } });
    expect(ref).toBe('command:/usr/bin/python3');
    expect(executableRef({ task: './a.ts' })).toBe('./a.ts');
    expect(TaskAllowList.parse(undefined, '/work').allows(ref, tasks)).toBe(false);
    expect(
      TaskAllowList.parse('builtin,command:/usr/bin/python3', '/work').allows(ref, tasks),
    ).toBe(true);
    expect(TaskAllowList.parse('command:python3', '/work').allows(ref, tasks)).toBe(false);
    expect(TaskAllowList.parse('command:*', '/work').allows(ref, tasks)).toBe(true);
    expect(TaskAllowList.builtInsOnly().with(ref).toFlag()).toBe(
      'builtin,command:/usr/bin/python3',
    );
  });
});
