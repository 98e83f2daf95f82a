import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { EXIT } from '../exit-status.js';
import { PbtError } from '../../core/errors.js';
import { LIMITS } from '../../config/limits.js';
import { parseWholeFlag } from '../numeric-flag.js';
import { DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { runWithLocalWorkers } from '../run-experiment.js';
import { parseStoreUrl, resolveStoreUrl } from '../../store/store-url.js';
import { ALLOW_TASKS_VARIABLE, TaskAllowList, executableRef } from '../../tasks/allow-list.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { backendOverride } from './run.js';

export function registerResume(
  program: Command,
  log: (line: string) => void,
  tasks: TaskRegistry,
): void {
  program
    .command('resume')
    .description('continue a stopped experiment from its last checkpoints')
    .argument('[experiment]', 'experiment id or unique prefix (default: the newest)')
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('-w, --workers <n>', 'local worker processes (default: number of cores)')
    .option('--backend <name>', 'TensorFlow.js backend: node | wasm | cpu')
    .option(
      '--allow-tasks <list>',
      `task modules the workers may import, for a PostgreSQL store (default: ${ALLOW_TASKS_VARIABLE} or built-ins only; see docs/deployment.md)`,
    )
    .action(
      async (
        id: string | undefined,
        flags: { store: string; workers?: string; backend?: string; allowTasks?: string },
      ) => {
        // Checked before anything is opened: bad input changes nothing.
        const workers =
          flags.workers !== undefined
            ? parseWholeFlag('workers', flags.workers, { min: 1, max: LIMITS.workers })
            : availableParallelism();
        const storeUrl = resolveStoreUrl(flags.store);
        await withStore(storeUrl, async (store) => {
          const experiment = await findExperiment(store, id);
          if (experiment.status === 'done') {
            throw new PbtError(
              'ALREADY_DONE',
              `experiment ${experiment.id} is already done; see \`pbt best ${experiment.id}\``,
            );
          }
          const taskRef = executableRef(experiment.config);
          // A SQLite file is this user's own; a shared database is trusted only as far as the
          // allow-list says, as for `pbt worker`.
          let allowed = TaskAllowList.parse(flags.allowTasks ?? process.env[ALLOW_TASKS_VARIABLE]);
          if (parseStoreUrl(storeUrl).kind === 'sqlite') allowed = allowed.with(taskRef);
          allowed.assertAllows(taskRef, tasks, experiment.id);
          await store.setExperimentStatus(experiment.id, 'running');
          const outcome = await runWithLocalWorkers(store, storeUrl, experiment.id, workers, log, {
            taskOptions: backendOverride(flags),
            allowTasks: allowed.toFlag(),
          });
          if (outcome.status !== 'done')
            process.exitCode = outcome.status === 'stopped' ? EXIT.stopped : EXIT.failure;
        });
      },
    );
}
