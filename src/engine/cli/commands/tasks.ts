import type { Command } from 'commander';
import type { TaskRegistry } from '../../tasks/registry.js';
import type { Out } from './read-only.js';

/** `pbt tasks`. */
export function registerTasks(program: Command, out: Out, tasks: TaskRegistry): void {
  program
    .command('tasks')
    .description('the built-in tasks')
    .action(async () => {
      for (const name of tasks.names()) {
        const def = await tasks.resolve(name);
        out(`${name.padEnd(22)} ${def.description}`);
      }
    });
}
