import { ConfigError } from '../core/errors.js';
import type { Task } from './task.js';

const METHODS = ['create', 'train', 'evaluate', 'save', 'load'] as const;

/**
 * What a task definition's `create` (or a module's factory) returned, checked before any
 * experiment is created: without this a missing `train` is found only when every member fails.
 */
export function assertTask(value: unknown, source: string): asserts value is Task {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `task ${source}: its factory returned ${describe(value)}, not a task object; return { name, space, create, train, evaluate, save, load } (see docs/tasks.md)`,
    );
  }
  const task = value as Record<string, unknown>;
  const missing: string[] = [];
  if (typeof task.name !== 'string' || task.name === '') missing.push('name (a string)');
  if (typeof task.space !== 'object' || task.space === null) missing.push('space (an object)');
  for (const m of METHODS) if (typeof task[m] !== 'function') missing.push(`${m}()`);
  if (typeof task.dispose !== 'undefined' && typeof task.dispose !== 'function')
    missing.push('dispose() (a function when given)');
  if (missing.length > 0) {
    throw new ConfigError(
      `task ${source} is missing ${missing.join(', ')}; a task needs name, space, create, train, evaluate, save and load (see docs/tasks.md)`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}
