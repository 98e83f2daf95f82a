import { Command, CommanderError } from 'commander';
import { ConfigError, PbtError } from '../core/errors.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { registerResume } from './commands/resume.js';
import { registerRun } from './commands/run.js';
import { registerWorker } from './commands/worker.js';
import { registerResultCommands } from './commands/results.js';
import { registerDashboard } from './commands/dashboard.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 bad input (config, flags), 130 stopped by Ctrl-C. */
/**
 * The engine's CLI. `tasks` says which tasks it knows by name: the `pbt` command passes the
 * built-in workloads (src/main.ts); the engine itself imports none.
 */
export async function main(argv: readonly string[], tasks: TaskRegistry): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const out = (text: string): void =>
    void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command()
    .name('pbt')
    .description('Population Based Training for Node.js')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerRun(program, log, tasks);
  registerResume(program, log);
  registerWorker(program, tasks);
  registerResultCommands(program, out, tasks);
  registerDashboard(program, log);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ConfigError) {
      log(`pbt: ${err.message}`);
      return 2;
    }
    if (err instanceof PbtError) {
      log(`pbt: ${err.message}`);
      return err.code === 'NOT_FOUND' ? 2 : 1;
    }
    log(
      `pbt: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return 1;
  }
}
