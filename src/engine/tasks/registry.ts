import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import type { Task, TaskDefinition } from './task.js';

/**
 * Built-in tasks by name, imported lazily so that `pbt run toy` never loads TensorFlow.js.
 * Other tasks register here as they land.
 */
const builtIn: Record<string, () => Promise<TaskDefinition<never>>> = {
  gan: async () => (await import('../../workloads/gan/gan-task.js')).ganTaskDefinition as TaskDefinition<never>,
  toy: async () => (await import('../../workloads/toy/toy-task.js')).toyTaskDefinition as TaskDefinition<never>,
  'lunar-lander': async () =>
    (await import('../../workloads/lunar-lander/lunar-lander-task.js'))
      .lunarLanderTaskDefinition as TaskDefinition<never>,
  'image-classification': async () =>
    (await import('../../workloads/image-classification/image-classification-task.js'))
      .imageClassificationTaskDefinition as TaskDefinition<never>,
  nmt: async () => (await import('../../workloads/nmt/nmt-task.js')).nmtTaskDefinition as TaskDefinition<never>,
};

export function builtInTaskNames(): string[] {
  return Object.keys(builtIn).sort();
}

/** Make a task available by name (library users with their own task collections). */
export function registerTask(definition: TaskDefinition<never>): void {
  builtIn[definition.name] = () => Promise.resolve(definition);
}

/** A task reference that names a module file rather than a built-in task. */
export const isTaskModulePath = (ref: string): boolean =>
  ref.startsWith('.') || ref.startsWith('/') || /\.(m?[jt]s|cjs)$/.test(ref);

/**
 * Resolve a task reference: a built-in name or a module path. A module exports a
 * TaskDefinition (`export default` or `export const task`), or a Task object, or a factory
 * function `(options) => Task`.
 */
export async function resolveTaskDefinition(
  ref: string,
  cwd = process.cwd(),
): Promise<TaskDefinition<never>> {
  const loader = builtIn[ref];
  if (loader) return loader();
  if (!isTaskModulePath(ref)) {
    throw new ConfigError(
      `unknown task "${ref}": built-in tasks are ${builtInTaskNames().join(', ')}; a task module is given as a path (e.g. ./my-task.ts)`,
    );
  }
  const file = path.resolve(cwd, ref);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`cannot load task module ${file}: ${(err as Error).message}`);
  }
  const exported = mod.default ?? mod.task;
  return asDefinition(exported, file);
}

function asDefinition(exported: unknown, file: string): TaskDefinition<never> {
  if (typeof exported === 'function') {
    const factory = exported as (options: unknown) => Task | Promise<Task>;
    return {
      name: path.basename(file),
      description: `task module ${file}`,
      create: (o: never) => factory(o),
    };
  }
  if (isObject(exported) && typeof exported.create === 'function' && isObject(exported.space)) {
    // A Task object itself: its `create` builds a member, so wrap it.
    const task = exported as unknown as Task;
    return { name: task.name, description: `task module ${file}`, create: () => task };
  }
  if (
    isObject(exported) &&
    typeof exported.create === 'function' &&
    typeof exported.name === 'string'
  ) {
    return exported as unknown as TaskDefinition<never>;
  }
  throw new ConfigError(
    `task module ${file} must export (default or as "task") a TaskDefinition, a Task object, or a factory function returning a Task`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
