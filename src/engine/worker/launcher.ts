import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, fstatSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { passwordOf, withoutPassword } from '../store/store-url.js';
import { encodeWorkerSpec, WORKER_SPEC_ENV, type WorkerSpec } from './worker-spec.js';

/** Where the `pbt` entry script lives, for forking worker processes. */
const PBT_BIN = fileURLToPath(new URL('../../../bin/pbt.js', import.meta.url));

export interface LaunchOptions {
  readonly storeUrl: string;
  readonly experimentId: string;
  readonly workers: number;
  /** One log file per worker here. */
  readonly logDir: string;
  /** Restart a worker that died abnormally (crash, SIGKILL), at most this many times in all. */
  readonly maxRestarts?: number;
  readonly onEvent?: (message: string) => void;
  /** Task options every worker runs with instead of the stored ones (WorkerSpec.taskOptions). */
  readonly taskOptions?: Readonly<Record<string, unknown>> | undefined;
  /** The tasks the workers may import (WorkerSpec.allowTasks, `--allow-tasks` syntax). */
  readonly allowTasks?: string | undefined;
}

export interface LaunchedWorkers {
  readonly pids: () => number[];
  /** Resolves when every worker exited and none is being restarted. */
  readonly done: Promise<void>;
  /** Why the last worker that failed failed (its last `pbt:` line), or null when none did. */
  readonly lastFailure: () => string | null;
  /** Ask every worker to stop cleanly (SIGTERM); kill the stragglers after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The last `pbt: …` line (a worker's fatal error) in the tail of a worker log. */
function causeIn(logFile: string, from: number): string | null {
  try {
    const fd = openSync(logFile, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size - from, 16_384);
      if (length <= 0) return null;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const lines = buffer.toString('utf8').split('\n');
      const fatal = lines.filter((l) => l.startsWith('pbt: ')).pop();
      return fatal === undefined ? null : fatal.slice('pbt: '.length);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function workerEnv(storeUrl: string): NodeJS.ProcessEnv {
  const password = passwordOf(storeUrl);
  return password === undefined ? process.env : { ...process.env, PGPASSWORD: password };
}

/**
 * Start W local `pbt worker` processes for one experiment. A worker that exits with an error or
 * is killed is restarted (its member's lease expires and any worker resumes it from its last
 * checkpoint), so one crash never stalls the run.
 */
export function launchWorkers(opts: LaunchOptions): LaunchedWorkers {
  mkdirSync(opts.logDir, { recursive: true });
  const children = new Map<number, ChildProcess>();
  let restartsLeft = opts.maxRestarts ?? opts.workers * 3;
  let stopping = false;
  let lastFailure: string | null = null;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const start = (slot: number): void => {
    const logFile = path.join(opts.logDir, `worker-${slot}.log`);
    const log = openSync(logFile, 'a');
    // Logs are appended across restarts and resumes: only this process's lines tell its cause.
    const logStart = fstatSync(log).size;
    const spec: WorkerSpec = {
      // The password travels as PGPASSWORD (workerEnv), where pg reads it as libpq does.
      storeUrl: withoutPassword(opts.storeUrl),
      experiment: opts.experimentId,
      workerName: `local-${slot}`,
      taskOptions: opts.taskOptions,
      allowTasks: opts.allowTasks,
    };
    const child = fork(PBT_BIN, ['worker'], {
      stdio: ['ignore', log, log, 'ipc'],
      env: { ...workerEnv(opts.storeUrl), [WORKER_SPEC_ENV]: encodeWorkerSpec(spec) },
    });
    children.set(slot, child);
    child.on('exit', (code, signal) => {
      children.delete(slot);
      const abnormal =
        code !== 0 || (signal !== null && signal !== 'SIGTERM' && signal !== 'SIGINT');
      const exit = `exited (${signal ?? `code ${code}`})`;
      // The worker's own last words, when it said why (a killed worker says nothing).
      const cause = abnormal && !stopping ? causeIn(logFile, logStart) : null;
      if (abnormal && !stopping) lastFailure = `${cause ?? exit} (log: ${logFile})`;
      // Exit code 2 is a configuration error: restarting would fail the same way.
      if (abnormal && !stopping && restartsLeft > 0 && code !== 2) {
        restartsLeft -= 1;
        opts.onEvent?.(
          `worker ${slot} (pid ${child.pid}) ${exit}${
            cause === null ? '' : `: ${cause}`
          }; restarting it (log: ${logFile})`,
        );
        start(slot);
        return;
      }
      if (abnormal && !stopping) opts.onEvent?.(`worker ${slot} ${exit}; no restarts left`);
      if (children.size === 0) resolveDone();
    });
  };
  for (let slot = 0; slot < opts.workers; slot++) start(slot);
  // Whatever the count (0, negative, NaN): with no process started, nothing is left to wait for.
  if (children.size === 0) resolveDone();

  return {
    pids: () => [...children.values()].map((c) => c.pid ?? -1),
    lastFailure: () => lastFailure,
    done,
    async stop(graceMs = 15_000) {
      stopping = true;
      for (const c of children.values()) c.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const c of children.values()) c.kill('SIGKILL');
      }, graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}
