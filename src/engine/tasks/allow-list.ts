import path from 'node:path';
import picomatch from 'picomatch';
import { ConfigError } from '../core/errors.js';
import { isTaskModulePath, type TaskRegistry } from './registry.js';

/** The environment variable a worker reads its allow-list from when --allow-tasks is not given. */
export const ALLOW_TASKS_VARIABLE = 'PBT_ALLOW_TASKS';

/** `builtin` in an allow-list: every built-in task. */
const BUILTIN = 'builtin';

/** A trainable experiment's entry: `command:<program>` (its first word), `command:*` for any. */
const COMMAND = 'command:';

/**
 * What an experiment makes a worker run, as an allow-list names it: the task (a built-in name or
 * a module path), or for a trainable `command:<program>`, the program its command starts.
 */
export function executableRef(config: {
  readonly task?: string | undefined;
  readonly trainable?: { readonly command: string } | undefined;
}): string {
  if (config.task !== undefined) return config.task;
  const program = config.trainable?.command.trim().split(/\s+/)[0] ?? '';
  return `${COMMAND}${program}`;
}

/**
 * Which tasks a worker agrees to run. A worker imports the module path stored in the
 * experiment, so whoever can write the shared database chooses the code every worker runs
 * (docs/deployment.md "Trust boundary"); a worker therefore runs only built-in tasks unless it
 * is told which modules it may import. Entries: `builtin`, a built-in task name, or a module
 * path or glob (`./tasks/*.ts`, `/srv/pbt/tasks/**`), relative to the worker's directory.
 */
export class TaskAllowList {
  private constructor(
    private readonly entries: readonly string[],
    private readonly cwd: string,
  ) {}

  /** Built-in tasks only: the default for `pbt worker`. */
  static builtInsOnly(): TaskAllowList {
    return new TaskAllowList([BUILTIN], process.cwd());
  }

  /** From `--allow-tasks a,b,c` (or PBT_ALLOW_TASKS); absent means built-ins only. */
  static parse(text: string | undefined, cwd = process.cwd()): TaskAllowList {
    if (text === undefined) return TaskAllowList.builtInsOnly();
    const entries = text
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (entries.length === 0) {
      throw new ConfigError(
        `--allow-tasks is empty: give ${BUILTIN}, task names or module paths, e.g. --allow-tasks ${BUILTIN},./tasks/*.ts`,
      );
    }
    return new TaskAllowList(entries, cwd);
  }

  /** This list plus one more entry (e.g. the module the user named on `pbt run`). */
  with(entry: string): TaskAllowList {
    return new TaskAllowList([...this.entries, entry], this.cwd);
  }

  /** The list as `--allow-tasks` takes it, with paths made absolute for a worker elsewhere. */
  toFlag(): string {
    return this.entries
      .map((e) => (isTaskModulePath(e) && !e.startsWith(COMMAND) ? path.resolve(this.cwd, e) : e))
      .join(',');
  }

  allows(taskRef: string, tasks: TaskRegistry): boolean {
    if (taskRef.startsWith(COMMAND)) {
      return this.entries.some((e) => e === taskRef || e === `${COMMAND}*`);
    }
    if (!isTaskModulePath(taskRef)) {
      const builtIn = tasks.builtInNames().includes(taskRef);
      return this.entries.some((e) => e === taskRef || (builtIn && e === BUILTIN));
    }
    const file = path.resolve(this.cwd, taskRef);
    return this.entries
      .filter((e) => isTaskModulePath(e) || /[*?[{]/.test(e))
      .some((e) => picomatch.isMatch(file, path.resolve(this.cwd, e), { dot: true }));
  }

  /** Throws a ConfigError naming the task and how to allow it. */
  assertAllows(taskRef: string, tasks: TaskRegistry, experimentId: string): void {
    if (this.allows(taskRef, tasks)) return;
    throw new ConfigError(
      `experiment ${experimentId} runs the task "${taskRef}", which this worker is not allowed to import ` +
        `(allowed: ${this.entries.join(', ')}). The task comes from the store: whoever can write it chooses ` +
        `the code workers run. If you trust it, start the worker with --allow-tasks ${BUILTIN},${taskRef} ` +
        `(or set ${ALLOW_TASKS_VARIABLE}); see docs/deployment.md "Trust boundary"`,
    );
  }
}
