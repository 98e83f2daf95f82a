import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { ConfigError } from '../core/errors.js';
import type { Task, TaskDefinition } from './task.js';

/** Lazily loads a task definition, so that `pbt run toy` never loads TensorFlow.js. */
export type TaskLoader = () => Promise<TaskDefinition<never>>;

/** Task definitions by name, e.g. the built-in workloads (`src/workloads/index.ts`). */
export type TaskCatalog = Readonly<Record<string, TaskLoader>>;

/**
 * The tasks a process knows by name: a read-only catalog of built-ins given at construction
 * (the engine itself knows no workload) and the tasks a library user registers, kept apart so
 * that registering never changes the built-in table.
 */
export class TaskRegistry {
  private readonly registered = new Map<string, TaskDefinition<never>>();

  constructor(private readonly builtIns: TaskCatalog = {}) {}

  builtInNames(): string[] {
    return Object.keys(this.builtIns).sort();
  }

  /** Every name this registry resolves: built-ins, then registered tasks. */
  names(): string[] {
    return [...this.builtInNames(), ...[...this.registered.keys()].sort()];
  }

  /** Make a task available by name (library users with their own task collections). */
  register(definition: TaskDefinition<never>): void {
    if (Object.hasOwn(this.builtIns, definition.name)) {
      throw new ConfigError(
        `cannot register task "${definition.name}": a built-in task has that name; choose another name`,
      );
    }
    this.registered.set(definition.name, definition);
  }

  /**
   * Resolve a task reference: a known name or a module path. A module exports a
   * TaskDefinition (`export default` or `export const task`), or a Task object, or a factory
   * function `(options) => Task`.
   */
  async resolve(ref: string, cwd = process.cwd()): Promise<TaskDefinition<never>> {
    const loader = Object.hasOwn(this.builtIns, ref) ? this.builtIns[ref] : undefined;
    if (loader) return loader();
    const registered = this.registered.get(ref);
    if (registered) return registered;
    if (!isTaskModulePath(ref)) {
      throw new ConfigError(
        `unknown task "${ref}": known tasks are ${this.names().join(', ') || '(none)'}; a task module is given as a path (e.g. ./my-task.ts)`,
      );
    }
    return loadTaskModule(path.resolve(cwd, ref));
  }
}

/** A task reference that names a module file rather than a built-in task. */
export const isTaskModulePath = (ref: string): boolean =>
  ref.startsWith('.') || ref.startsWith('/') || /\.(m?[jt]s|cjs)$/.test(ref);

/**
 * tsImport, not import(): a user's TypeScript module must load whatever their folder says about
 * module type ("type": "module", no type field as `npm init -y` writes, no package.json), and
 * without pbt's own process having tsx registered (library use).
 */
async function loadTaskModule(file: string): Promise<TaskDefinition<never>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`cannot load task module ${file}: ${(err as Error).message}`);
  }
  const exports = commonJsExports(mod) ?? mod;
  return asDefinition(exports.default ?? exports.task, file);
}

/**
 * A module loaded as CommonJS (a .ts file where the folder is not "type": "module") arrives as
 * `{ default: module.exports }`, its own `export default` one level further down.
 */
function commonJsExports(mod: Record<string, unknown>): Record<string, unknown> | undefined {
  const inner = mod.default;
  if (!isObject(inner) || typeof inner.create === 'function') return undefined;
  return 'default' in inner || 'task' in inner ? inner : undefined;
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
