import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { createExperiment } from '../../setup/create-experiment.js';
import { prepareExperiment } from '../../setup/prepare-experiment.js';
import { replayRuns } from '../../setup/replay-runs.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { formatScore } from '../progress.js';
import { runWithLocalWorkers } from '../run-experiment.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { backendOverride } from './run.js';
import { LIMITS } from '../../config/limits.js';
import { TaskAllowList, executableRef } from '../../tasks/allow-list.js';
import { parseWholeFlag } from '../numeric-flag.js';

interface ReplayFlags {
  member?: string;
  seed?: string;
  store: string;
  workers?: string;
  backend?: string;
  fixed: boolean;
}

export function registerReplay(
  program: Command,
  log: (line: string) => void,
  tasks: TaskRegistry,
): void {
  program
    .command('replay')
    .description(
      "train a fresh model on a member's recorded hyperparameter schedule (no weights copied), and one fixed at its final hyperparameters",
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option('--member <id>', 'member whose schedule to replay (default: the best)')
    .option('-s, --seed <n>', 'seed of the fresh model (default: the experiment’s)')
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('-w, --workers <n>', 'local worker processes (default: number of cores)')
    .option('--backend <name>', 'TensorFlow.js backend: node | wasm | cpu')
    .option('--no-fixed', 'skip the run fixed at the final hyperparameters')
    .action(async (id: string | undefined, flags: ReplayFlags) => {
      const storeUrl = resolveStoreUrl(flags.store);
      await withStore(storeUrl, async (store) => {
        const source = await findExperiment(store, id);
        const runs = await replayRuns(store, source.id, {
          fixed: flags.fixed,
          ...(flags.member !== undefined
            ? { member: parseWholeFlag('member', flags.member, { min: 0 }) }
            : {}),
          ...(flags.seed !== undefined
            ? { seed: parseWholeFlag('seed', flags.seed, { min: 0 }) }
            : {}),
        });
        const prepared = [];
        for (const raw of runs) prepared.push(await prepareExperiment(raw, tasks));
        // One member each: more than one worker process would only wait.
        const workers = Math.min(
          1,
          flags.workers !== undefined
            ? parseWholeFlag('workers', flags.workers, { min: 1, max: LIMITS.workers })
            : availableParallelism(),
        );
        for (const p of prepared) {
          const exp = await createExperiment(store, p);
          log(`created experiment ${exp.id} (${p.config.method} of ${source.id})`);
          const outcome = await runWithLocalWorkers(store, storeUrl, exp.id, workers, log, {
            taskOptions: backendOverride(flags),
            // The user asked to replay this experiment here: its workers may run its task.
            allowTasks: TaskAllowList.builtInsOnly().with(executableRef(p.config)).toFlag(),
          });
          if (outcome.status === 'stopped') {
            process.exitCode = 130;
            return;
          }
          if (outcome.status === 'failed') {
            process.exitCode = 1;
            return;
          }
          const [m] = await store.listMembers(exp.id);
          log(`${p.config.method}: score ${formatScore(m?.score ?? null)}`);
        }
      });
    });
}
