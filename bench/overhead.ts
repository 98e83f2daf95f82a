/**
 * What a ready point costs outside training, on the real runtime (SQLite file + filesystem
 * checkpoints + one in-process worker), for the toy task with a 1 MB state.
 *
 *   node --import tsx bench/overhead.ts [--out results/bench/overhead.json] [--rounds 1]
 *
 * Every setting runs twice, side by side: with the checkpoint write overlapping the next member's
 * cycle (the default) and with the write finished before the worker moves on
 * (`overlapCheckpointWrites: false`, the path before). On code without the option both columns
 * are the old path.
 *
 * A: latency — ready every step, no training work: each cycle is claim, decide (exploit/explore in
 *    one store transaction), load of the member's checkpoint (a population of 4 with one worker
 *    never finds the state in memory), save + sha256 + atomic fsynced write of 1 MB, record,
 *    release. With nothing to train there is nothing to hide the write behind: the cycle waits
 *    for the previous member's write.
 * A+train: the same cycle with a 50 ms training segment (10 steps of 5 ms), asynchronous and
 *    synchronous generations (the toy's default; a generation's last write is waited for).
 * B: share — a task whose step takes ~10 ms, ready every 100 steps (the report's setting):
 *    fraction of the worker's wall time spent outside train/evaluate.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runWorker, type ReadyPointTiming } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'results/bench/overhead.json' },
    rounds: { type: 'string', default: '1' },
  },
});

interface Run {
  readonly timings: ReadyPointTiming[];
  readonly wallSeconds: number;
}

async function measure(raw: Record<string, unknown>, overlap: boolean): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbt-bench-overhead-'));
  const prepared = await prepareExperiment({ task: 'toy', ...raw }, builtInTaskRegistry());
  const store = new SqliteStore(path.join(dir, 'pbt.db'));
  const checkpoints = new FilesystemCheckpointStore(path.join(dir, 'checkpoints'));
  const exp = await createExperiment(store, prepared);
  const timings: ReadyPointTiming[] = [];
  const started = performance.now();
  await runWorker({
    store,
    checkpoints,
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: exp.seed,
    overlapCheckpointWrites: overlap,
    onReadyPoint: (t) => timings.push(t),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  await checkpoints.close?.();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { timings, wallSeconds };
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const ms = (s: number): number => Number((s * 1000).toFixed(3));
const load1 = (): number => Number((loadavg()[0] ?? 0).toFixed(2));

const MB = 1 << 20;
const WARM_UP = 20;

/** Ready-point cost percentiles of one setting, both ways. */
async function latency(raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const overlap of [true, false]) {
    const loadBefore = load1();
    const { timings } = await measure(raw, overlap);
    const overheads = timings.slice(WARM_UP).map((t) => t.overheadSeconds);
    out[overlap ? 'overlapped' : 'writeThenMoveOn'] = {
      samples: overheads.length,
      p50Ms: ms(quantile(overheads, 0.5)),
      p90Ms: ms(quantile(overheads, 0.9)),
      p99Ms: ms(quantile(overheads, 0.99)),
      maxMs: ms(Math.max(...overheads)),
      load1m: [loadBefore, load1()],
    };
  }
  return out;
}

const a = {
  population: 4,
  budget: { steps: 150 },
  ready: { every: 1 },
  taskOptions: { stateBytes: MB },
  initialHparams: [],
};
const trained = (mode: 'async' | 'sync'): Record<string, unknown> => ({
  population: 4,
  budget: { steps: 600 },
  ready: { every: 10 },
  mode,
  taskOptions: { stateBytes: MB, stepMs: 5 },
  initialHparams: [],
});

const rounds: Record<string, unknown>[] = [];
for (let round = 0; round < Number(args.rounds); round++) {
  const startedAt = new Date().toISOString();
  const result: Record<string, unknown> = { startedAt, load1mBefore: load1() };
  result.readyPointCost = {
    noTraining: await latency(a),
    train50msAsync: await latency(trained('async')),
    train50msSync: await latency(trained('sync')),
  };
  // B: 2 members × 1,000 steps of ~10 ms, ready every 100 steps.
  const share: Record<string, unknown> = {};
  for (const overlap of [true, false]) {
    const run = await measure(
      {
        population: 2,
        budget: { steps: 1000 },
        ready: { every: 100 },
        taskOptions: { stateBytes: MB, stepMs: 10 },
      },
      overlap,
    );
    const train = run.timings.reduce((s, t) => s + t.trainSeconds, 0);
    share[overlap ? 'overlapped' : 'writeThenMoveOn'] = {
      readyPoints: run.timings.length,
      wallSeconds: Number(run.wallSeconds.toFixed(3)),
      trainSeconds: Number(train.toFixed(3)),
      fraction: Number(((run.wallSeconds - train) / run.wallSeconds).toFixed(5)),
    };
  }
  result.overheadShare = share;
  result.load1mAfter = load1();
  rounds.push(result);
  console.log(JSON.stringify(result, null, 2));
}

const summary = {
  command: `node --import tsx bench/overhead.ts --rounds ${args.rounds}`,
  stateBytes: MB,
  targetP99Ms: 10,
  settings: {
    noTraining: 'population 4, ready every step, no training work (synchronous generations)',
    train50msAsync: 'population 4, ready every 10 steps of 5 ms, asynchronous',
    train50msSync: 'population 4, ready every 10 steps of 5 ms, synchronous generations',
    overheadShare: 'population 2, 1,000 steps of 10 ms, ready every 100; (wall - train) / wall',
  },
  warmUpReadyPointsDropped: WARM_UP,
  rounds,
};
mkdirSync(path.dirname(args.out), { recursive: true });
writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
