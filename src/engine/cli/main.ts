import { Command, CommanderError } from 'commander';
import { PbtError } from '../core/errors.js';
import { redactPassword } from '../store/store-url.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { registerBest } from './commands/best.js';
import { registerCompare } from './commands/compare.js';
import { registerExport } from './commands/export.js';
import { registerLineage } from './commands/lineage.js';
import { registerList } from './commands/list.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerResume } from './commands/resume.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerTasks } from './commands/tasks.js';
import { registerWorker } from './commands/worker.js';
import { EXIT, exitStatusOf } from './exit-status.js';
import { registerDashboard } from './commands/dashboard.js';

/**
 * The engine's CLI. `tasks` says which tasks it knows by name: the `pbt` command passes the
 * built-in workloads (src/main.ts); the engine itself imports none. Returns the exit status
 * (cli/exit-status.ts).
 */
export async function main(argv: readonly string[], tasks: TaskRegistry): Promise<number> {
  // `pbt status | head`: the reader left, nothing more is wanted; not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
  // Every line the CLI prints passes redactPassword: a password in a URL (given, stored by an
  // older pbt, or quoted in an error) is never shown.
  const log = (line: string): void => void process.stderr.write(`${redactPassword(line)}\n`);
  const out = (text: string): void => {
    const shown = redactPassword(text);
    process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  };
  const program = new Command()
    .name('pbt')
    .description('Population Based Training for Node.js')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(redactPassword(s)) });
  registerRun(program, log, tasks);
  registerResume(program, log, tasks);
  registerCompare(program, log, tasks);
  registerReplay(program, log, tasks);
  registerWorker(program, tasks);
  registerList(program, out);
  registerStatus(program, out);
  registerBest(program, out, tasks);
  registerLineage(program, out);
  registerExport(program, out);
  registerReport(program, out);
  registerTasks(program, out, tasks);
  registerDashboard(program, log);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (err instanceof PbtError) {
      log(`pbt: ${err.message}`);
      return exitStatusOf(err.code);
    }
    log(
      `pbt: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    return EXIT.failure;
  }
}
