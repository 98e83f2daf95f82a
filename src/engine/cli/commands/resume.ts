import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { PbtError } from '../../core/errors.js';
import { DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { runWithLocalWorkers } from '../run-experiment.js';
import { backendOverride, resolveStoreUrl } from './run.js';

export function registerResume(program: Command, log: (line: string) => void): void {
  program
    .command('resume')
    .description('continue a stopped experiment from its last checkpoints')
    .argument('[experiment]', 'experiment id or unique prefix (default: the newest)')
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('-w, --workers <n>', 'local worker processes (default: number of cores)')
    .option('--backend <name>', 'TensorFlow.js backend: node | wasm | cpu')
    .action(
      async (
        id: string | undefined,
        flags: { store: string; workers?: string; backend?: string },
      ) => {
        const storeUrl = resolveStoreUrl(flags.store);
        await withStore(storeUrl, async (store) => {
          const experiment = await findExperiment(store, id);
          if (experiment.status === 'done') {
            throw new PbtError(
              'ALREADY_DONE',
              `experiment ${experiment.id} is already done; see \`pbt best ${experiment.id}\``,
            );
          }
          await store.setExperimentStatus(experiment.id, 'running');
          const workers =
            flags.workers !== undefined ? Number(flags.workers) : availableParallelism();
          const outcome = await runWithLocalWorkers(
            store,
            storeUrl,
            experiment.id,
            workers,
            log,
            backendOverride(flags),
          );
          if (outcome.status === 'stopped') process.exitCode = 130;
        });
      },
    );
}
