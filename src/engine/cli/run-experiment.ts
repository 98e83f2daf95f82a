import path from 'node:path';
import { readExperiment } from '../store/experiments.js';
import type { Store } from '../store/store.js';
import { launchWorkers } from '../worker/launcher.js';
import { IN_STORE_DATABASE } from '../checkpoints/open-checkpoint-store.js';
import { checkpointsOf } from './context.js';
import { formatDuration, formatScore, ProgressDisplay, progressOf } from './progress.js';

export interface RunOutcome {
  readonly status: 'done' | 'stopped';
  readonly seconds: number;
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
  /** Task options the workers use instead of the stored ones (`pbt resume --backend`). */
  taskOptions?: Readonly<Record<string, unknown>>,
): Promise<RunOutcome> {
  const experiment = await readExperiment(store, experimentId);
  if (!experiment) throw new Error(`experiment ${experimentId} vanished`);
  const { config } = experiment;
  const logDir = workerLogDir(config.checkpoints, experimentId);
  const started = Date.now();
  log(
    `experiment ${experimentId}: ${experiment.populationSize} members × ${config.budget.steps} steps, ${workers} worker process${workers === 1 ? '' : 'es'} (logs: ${logDir})`,
  );
  const display = new ProgressDisplay(experimentId.slice(0, 24));
  const launched = launchWorkers({
    storeUrl,
    experimentId,
    workers,
    logDir,
    onEvent: (m) => log(m),
    taskOptions,
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
    display.update(progressOf(await store.listMembers(experimentId), config.budget.steps));
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
  const p = progressOf(members, config.budget.steps);
  if (finished) {
    const gc = await checkpointsOf(experiment).gc(
      await store.referencedCheckpoints(),
      60_000,
      Date.now(),
    );
    log(
      `done in ${formatDuration(seconds)}: best member ${p.bestMember ?? '—'} score ${formatScore(p.bestScore)}` +
        `${p.membersFailed > 0 ? `, ${p.membersFailed} member(s) failed` : ''}; ${gc.deleted} old checkpoints removed`,
    );
    log(
      `next: pbt best ${experimentId} | pbt lineage ${experimentId} | pbt report ${experimentId}`,
    );
  } else {
    log(
      `stopped after ${formatDuration(seconds)} at ${p.stepsDone}/${p.stepsTotal} steps; continue with: pbt resume ${experimentId}`,
    );
  }
  return { status: finished ? 'done' : 'stopped', seconds };
}

/**
 * Worker logs sit next to a checkpoint directory; checkpoints kept in the database have no
 * directory, so their logs go to the default .pbt/ folder rather than the working directory.
 */
export function workerLogDir(checkpoints: string, experimentId: string): string {
  const base = checkpoints === IN_STORE_DATABASE ? '.pbt' : path.dirname(checkpoints);
  return path.join(base, 'logs', experimentId);
}
