/**
 * Shared part of the overhead benchmarks (bench/overhead-image.ts, bench/overhead-nmt.ts): run
 * one in-process worker over a real SQLite store and filesystem checkpoints, time the task's
 * create/load/save and the checkpoint store's get/put by wrapping them, and split the worker's
 * time into train/evaluate and everything else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { FilesystemCheckpointStore } from '../../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../../src/engine/setup/prepare-experiment.js';
import { SqliteStore } from '../../src/engine/store/sqlite/sqlite-store.js';
import { runWorker, type ReadyPointTiming } from '../../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../../src/workloads/index.js';

export interface OverheadRunInput {
  readonly task: string;
  readonly taskOptions: Record<string, unknown>;
  readonly population: number;
  readonly budget: number;
  readonly ready: number;
}

const r = (x: number, d = 5): number => Number(x.toFixed(d));
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * PBT with one worker and several members: the worker never finds the next member's state in
 * memory, so every ready point pays a full checkpoint load on top of the save (the worst case).
 * Returns the figures every overhead bench reports.
 */
export async function measureWorkerOverhead(
  input: OverheadRunInput,
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), `pbt-bench-overhead-${input.task}-`));
  try {
    const prepared = await prepareExperiment(
      {
        task: input.task,
        taskOptions: input.taskOptions,
        population: input.population,
        budget: { steps: input.budget },
        ready: { every: input.ready },
      },
      builtInTaskRegistry(),
    );
    const store = new SqliteStore(path.join(dir, 'pbt.db'));
    const exp = await createExperiment(store, prepared);
    const timings: ReadyPointTiming[] = [];
    const spent = { create: 0, load: 0, save: 0, checkpointGet: 0, checkpointPut: 0 };
    const timed =
      <A extends unknown[], R>(key: keyof typeof spent, f: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        const t = performance.now();
        try {
          return await f(...a);
        } finally {
          spent[key] += (performance.now() - t) / 1000;
        }
      };
    const task = prepared.task;
    const timedTask: typeof task = {
      ...task,
      create: timed('create', task.create.bind(task)),
      load: timed('load', task.load.bind(task)),
      save: timed('save', task.save.bind(task)),
    };
    const checkpoints = new FilesystemCheckpointStore(path.join(dir, 'checkpoints'));
    const timedCheckpoints = Object.assign(
      Object.create(checkpoints) as FilesystemCheckpointStore,
      {
        get: timed('checkpointGet', checkpoints.get.bind(checkpoints)),
        put: timed('checkpointPut', checkpoints.put.bind(checkpoints)),
      },
    );
    const loadBefore = loadavg()[0] ?? 0;
    const started = performance.now();
    const worker = await runWorker({
      store,
      checkpoints: timedCheckpoints,
      experimentId: exp.id,
      config: prepared.config,
      task: timedTask,
      space: prepared.space,
      seed: exp.seed,
      onReadyPoint: (t) => timings.push(t),
    });
    const wallSeconds = (performance.now() - started) / 1000;
    await store.close();

    const train = sum(timings.map((t) => t.trainSeconds));
    const outside = sum(timings.map((t) => t.overheadSeconds));
    // The first cycle of each member builds it (task.create: backend start-up, data and model
    // initialisation), a one-off per member; the rest is the steady state.
    const firstOf = new Set<number>();
    const steady = timings.filter((t) => {
      if (firstOf.has(t.memberId)) return true;
      firstOf.add(t.memberId);
      return false;
    });
    const steadyTrain = sum(steady.map((t) => t.trainSeconds));
    const steadyOutside = sum(steady.map((t) => t.overheadSeconds));
    const sorted = steady.map((t) => t.overheadSeconds * 1000).sort((a, b) => a - b);
    const q = (p: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    return {
      loadAverage1mBefore: r(loadBefore, 2),
      loadAverage1mAfter: r(loadavg()[0] ?? 0, 2),
      wallSeconds: r(wallSeconds, 2),
      readyPoints: timings.length,
      exploits: worker.exploits,
      all: {
        trainAndEvaluateSeconds: r(train, 3),
        outsideSeconds: r(outside, 3),
        fraction: r(outside / (train + outside)),
      },
      steadyState: {
        readyPoints: steady.length,
        trainAndEvaluateSeconds: r(steadyTrain, 3),
        outsideSeconds: r(steadyOutside, 3),
        fraction: r(steadyOutside / (steadyTrain + steadyOutside)),
        outsideMsP50: r(q(0.5), 1),
        outsideMsP90: r(q(0.9), 1),
        outsideMsMax: r(sorted.at(-1) ?? NaN, 1),
      },
      // checkpointPut is time in the background: the write overlaps the next member's cycle, so
      // only the part the worker waited for is in outsideSeconds (storeAndRest can go negative).
      outsideBreakdownSeconds: {
        ...Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, r(v, 3)])),
        storeAndRest: r(outside - sum(Object.values(spent)), 3),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
