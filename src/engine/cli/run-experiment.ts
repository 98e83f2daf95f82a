import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { readExperiment } from '../store/experiments.js';
import type { Store } from '../store/store.js';
import { launchWorkers } from '../worker/launcher.js';
import { IN_STORE_DATABASE } from '../checkpoints/open-checkpoint-store.js';
import { collectCheckpoints } from '../checkpoints/collect.js';
import { plannedStepsOf } from '../setup/prepare-experiment.js';
import { checkpointsOf } from './context.js';
import { formatDuration, formatScore, ProgressDisplay, progressOf } from './progress.js';

export interface RunOutcome {
  /** `stopped`: by Ctrl-C or SIGTERM (exit 130); `failed`: workers gave up (exit 1). */
  readonly status: 'done' | 'stopped' | 'failed';
  readonly seconds: number;
}

/** What the local workers get besides the experiment: see WorkerSpec. */
export interface WorkerExtras {
  /** Task options the workers use instead of the stored ones (`pbt resume --backend`). */
  readonly taskOptions?: Readonly<Record<string, unknown>> | undefined;
  /** The tasks they may import (`--allow-tasks` syntax). */
  readonly allowTasks?: string | undefined;
}

/**
 * Run an experiment's members to completion with local worker processes, showing progress.
 * Ctrl-C stops cleanly: workers release their members, the experiment is marked stopped and
 * `pbt resume` continues it from the last checkpoints.
 */
export async function runWithLocalWorkers(
  store: Store,
  storeUrl: string,
  experimentId: string,
  workers: number,
  log: (line: string) => void,
  extras: WorkerExtras = {},
): Promise<RunOutcome> {
  const experiment = await readExperiment(store, experimentId);
  if (!experiment) throw new Error(`experiment ${experimentId} vanished`);
  const { config } = experiment;
  const planned = plannedStepsOf(config);
  const logDir = workerLogDir(config.checkpoints, experimentId);
  const started = Date.now();
  log(
    `experiment ${experimentId}: ${experiment.populationSize} members × ${config.budget.steps} steps${planned === undefined ? '' : ` (ASHA: ${planned} steps in all)`}, ${workers} worker process${workers === 1 ? '' : 'es'} (logs: ${logDir})`,
  );
  const display = new ProgressDisplay(experimentId.slice(0, 24));
  const launched = launchWorkers({
    storeUrl,
    experimentId,
    workers,
    logDir,
    onEvent: (m) => log(m),
    taskOptions: extras.taskOptions,
    allowTasks: extras.allowTasks,
  });

  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) {
      log('second Ctrl-C: killing workers');
      for (const pid of launched.pids()) process.kill(pid, 'SIGKILL');
      return;
    }
    interrupted = true;
    log('\nstopping: workers release their members (Ctrl-C again to kill them)…');
    void store.setExperimentStatus(experimentId, 'stopped').then(() => launched.stop());
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const tick = async (): Promise<void> =>
    display.update(progressOf(await store.listMembers(experimentId), config.budget.steps, planned));
  const timer = setInterval(() => void tick().catch(() => undefined), 500);
  try {
    await launched.done;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  await tick();
  display.stop();

  const members = await store.listMembers(experimentId);
  const finished = members.every((m) => m.status === 'done' || m.status === 'failed');
  if (finished) await store.setExperimentStatus(experimentId, 'done');
  else if (!interrupted) await store.setExperimentStatus(experimentId, 'stopped');
  const seconds = (Date.now() - started) / 1000;
  const p = progressOf(members, config.budget.steps, planned);
  if (finished) {
    const checkpoints = checkpointsOf(experiment, undefined, storeUrl);
    const gc = await collectCheckpoints(store, checkpoints, 60_000).finally(() =>
      checkpoints.close?.(),
    );
    log(
      `done in ${formatDuration(seconds)}: best member ${p.bestMember ?? '—'} score ${formatScore(p.bestScore)}` +
        `${p.membersFailed > 0 ? `, ${p.membersFailed} member(s) failed` : ''}; ${gc.deleted} old checkpoints removed`,
    );
    log(
      `next: pbt best ${experimentId} | pbt lineage ${experimentId} | pbt report ${experimentId}`,
    );
  } else if (interrupted) {
    log(
      `stopped after ${formatDuration(seconds)} at ${p.stepsDone}/${p.stepsTotal} steps; continue with: pbt resume ${experimentId}`,
    );
  } else {
    // Not a Ctrl-C: the workers gave up. Say why here, not only in their logs.
    log(
      `failed after ${formatDuration(seconds)} at ${p.stepsDone}/${p.stepsTotal} steps: ${launched.lastFailure() ?? `the workers exited before the experiment finished (logs: ${logDir})`}`,
    );
    log(`after fixing the cause, continue with: pbt resume ${experimentId}`);
  }
  return { status: finished ? 'done' : interrupted ? 'stopped' : 'failed', seconds };
}

/**
 * Worker logs sit next to a checkpoint directory; checkpoints kept in the database have no
 * directory, so their logs go to the default .pbt/ folder rather than the working directory.
 */
/**
 * Create the directory that will hold an experiment's worker logs, before the experiment is
 * created: a run that cannot log must fail while nothing has been written.
 */
export function ensureWorkerLogRoot(checkpoints: string): void {
  const root = path.dirname(workerLogDir(checkpoints, 'x'));
  try {
    mkdirSync(root, { recursive: true });
  } catch (err) {
    throw new ConfigError(
      `cannot create the worker log directory ${root}: ${(err as Error).message}; ` +
        'fix its permissions or free space, or choose another --checkpoints directory (logs go next to it)',
    );
  }
}

export function workerLogDir(checkpoints: string, experimentId: string): string {
  const base = checkpoints === IN_STORE_DATABASE ? '.pbt' : path.dirname(checkpoints);
  return path.join(base, 'logs', experimentId);
}
