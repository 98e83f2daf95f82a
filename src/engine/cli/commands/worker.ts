import { hostname } from 'node:os';
import type { Command } from 'commander';
import { collectCheckpoints } from '../../checkpoints/collect.js';
import { prepareStoredExperiment } from '../../setup/prepare-experiment.js';
import { redactPassword, resolveStoreUrl } from '../../store/store-url.js';
import { ALLOW_TASKS_VARIABLE, TaskAllowList, executableRef } from '../../tasks/allow-list.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { runWorker } from '../../worker/worker.js';
import { workerSpecFromEnv, type WorkerSpec } from '../../worker/worker-spec.js';
import { checkpointsOf, DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { backendOverride } from './run.js';

interface WorkerFlags {
  store: string;
  experiment?: string;
  workerName?: string;
  checkpoints?: string;
  backend?: string;
  allowTasks?: string;
}

/** Unreferenced checkpoints at least this old are removed when the experiment is finished. */
const FINISHED_GC_MIN_AGE_MS = 10 * 60_000;

export function registerWorker(program: Command, tasks: TaskRegistry): void {
  program
    .command('worker')
    .description(
      'join an experiment as one worker process (on this or any machine that reaches the store)',
    )
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('-e, --experiment <id>', 'experiment id (default: the newest)')
    .option('--worker-name <name>', 'name shown in leases and logs')
    .option(
      '--checkpoints <dir|postgres|url>',
      'where checkpoints are, if it differs on this machine: a directory, postgres (the store database) or a postgres:// URL',
    )
    .option('--backend <name>', 'TensorFlow.js backend: node | wasm | cpu')
    .option(
      '--allow-tasks <list>',
      `tasks this worker may import: builtin, task names, module paths or globs, e.g. builtin,./tasks/*.ts (default: ${ALLOW_TASKS_VARIABLE}, else built-ins only)`,
    )
    // A process forked by `pbt run`/`resume` gets its spec from the launcher, not from flags.
    .action((flags: WorkerFlags) => runWorkerProcess(workerSpecFromEnv() ?? specOf(flags), tasks));
}

function specOf(flags: WorkerFlags): WorkerSpec {
  return {
    storeUrl: resolveStoreUrl(flags.store),
    experiment: flags.experiment,
    workerName: flags.workerName ?? 'worker',
    checkpoints: flags.checkpoints,
    taskOptions: backendOverride(flags),
    allowTasks: flags.allowTasks,
  };
}

async function runWorkerProcess(spec: WorkerSpec, tasks: TaskRegistry): Promise<void> {
  await withStore(spec.storeUrl, async (store) => {
    const experiment = await findExperiment(store, spec.experiment);
    // The stored task decides what this process imports: check it against the allow-list
    // before loading anything (docs/deployment.md "Trust boundary").
    TaskAllowList.parse(spec.allowTasks ?? process.env[ALLOW_TASKS_VARIABLE]).assertAllows(
      executableRef(experiment.config),
      tasks,
      experiment.id,
    );
    const prepared = await prepareStoredExperiment(experiment.config, tasks, spec.taskOptions);
    const workerId = `${spec.workerName}@${hostname()}:${process.pid}`;
    const log = (m: string): void =>
      void process.stderr.write(`${new Date().toISOString()} ${workerId} ${redactPassword(m)}\n`);
    const controller = new AbortController();
    const stop = (): void => {
      log('stop requested: releasing the member at the next safe point');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    log(`joined experiment ${experiment.id} (task ${experiment.task})`);
    // `checkpoints: postgres` means this worker's own --store database.
    const checkpoints = checkpointsOf(experiment, spec.checkpoints, spec.storeUrl);
    try {
      const summary = await runWorker({
        store,
        checkpoints,
        experimentId: experiment.id,
        config: prepared.config,
        task: prepared.task,
        space: prepared.space,
        seed: experiment.seed,
        workerId,
        log,
        signal: controller.signal,
      });
      log(
        `${summary.stoppedBy}: ${summary.readyPoints} ready points, ${summary.exploits} exploits, ${summary.failures} failures`,
      );
      if (summary.stoppedBy === 'finished') {
        // With only remote workers nobody else cleans up. Keep anything younger than the
        // store's retry window: a checkpoint written before a database outage may still be
        // about to be referenced.
        const gc = await collectCheckpoints(store, checkpoints, FINISHED_GC_MIN_AGE_MS);
        if (gc.deleted > 0) log(`removed ${gc.deleted} unreferenced checkpoints`);
      }
    } finally {
      await checkpoints.close?.();
    }
  });
}
