/**
 * Disk use of checkpoints over a run with concurrent worker processes that collect while
 * running (issue 17, defect 8). The driver creates a toy experiment, starts `workers` child
 * processes (this file, `--worker`), samples the experiment's stored checkpoints (count and
 * bytes) every `sampleMs`, and reports the peak against what the run wrote in total.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collectCheckpoints } from '../../src/engine/checkpoints/collect.js';
import { openCheckpointStore } from '../../src/engine/checkpoints/open-checkpoint-store.js';
import { parseExperimentConfig } from '../../src/engine/config/experiment-config.js';
import { createExperiment } from '../../src/engine/setup/create-experiment.js';
import {
  prepareExperiment,
  prepareStoredExperiment,
} from '../../src/engine/setup/prepare-experiment.js';
import { openStore } from '../../src/engine/store/open-store.js';
import { runWorker } from '../../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../../src/workloads/index.js';

export interface DiskRunInput {
  /** Population store URL (sqlite:… or postgres://…). */
  readonly store: string;
  /** Checkpoint setting: a directory or `postgres`. */
  readonly checkpoints: string;
  readonly population: number;
  readonly budget: number;
  readonly workers: number;
  /** Toy task: milliseconds per training step (makes a ready point take a realistic while). */
  readonly stepMs: number;
  readonly collectEveryMs: number;
  readonly collectMinAgeMs: number;
  readonly sampleMs?: number;
}

export interface DiskRunReport {
  readonly experimentId: string;
  readonly seconds: number;
  readonly population: number;
  /** Checkpoints the run recorded (results with a checkpoint): what it would keep without GC. */
  readonly checkpointsWritten: number;
  readonly peakCheckpoints: number;
  readonly peakBytes: number;
  readonly finalCheckpoints: number;
  readonly finalBytes: number;
  readonly samples: number;
  /** Stored checkpoints at each sample while the workers ran, in order. */
  readonly timeline: readonly number[];
  readonly failedReadyPoints: number;
  readonly membersDone: number;
  /** Every member's final checkpoint and the best result's checkpoint are still readable. */
  readonly retainedReadable: boolean;
}

const SELF = fileURLToPath(import.meta.url);

export async function measureCheckpointDisk(input: DiskRunInput): Promise<DiskRunReport> {
  const store = await openStore(input.store);
  try {
    const prepared = await prepareExperiment(
      {
        task: 'toy',
        population: input.population,
        budget: { steps: input.budget },
        ready: { every: 4 },
        leaseSeconds: 5,
        store: input.store,
        checkpoints: input.checkpoints,
        taskOptions: { stepMs: input.stepMs },
      },
      builtInTaskRegistry(),
    );
    const exp = await createExperiment(store, prepared);
    const checkpoints = openCheckpointStore(input.checkpoints, input.store, exp);
    const started = Date.now();
    let peakCheckpoints = 0;
    let peakBytes = 0;
    let samples = 0;
    const timeline: number[] = [];
    const sample = async (): Promise<{ count: number; bytes: number }> => {
      const list = await checkpoints.list();
      const bytes = list.reduce((s, c) => s + c.bytes, 0);
      peakCheckpoints = Math.max(peakCheckpoints, list.length);
      peakBytes = Math.max(peakBytes, bytes);
      samples++;
      return { count: list.length, bytes };
    };
    const children = Array.from({ length: input.workers }, (_, i) =>
      runChild([
        '--import',
        'tsx',
        SELF,
        '--worker',
        '--store',
        input.store,
        '--experiment',
        exp.id,
        '--name',
        `disk-${i}`,
        '--collect-every',
        String(input.collectEveryMs),
        '--collect-min-age',
        String(input.collectMinAgeMs),
      ]),
    );
    let running = true;
    const sampler = (async (): Promise<void> => {
      while (running) {
        timeline.push((await sample()).count);
        await new Promise((r) => setTimeout(r, input.sampleMs ?? 100));
      }
    })();
    const codes = await Promise.all(children);
    running = false;
    await sampler;
    if (codes.some((c) => c !== 0)) throw new Error(`a worker exited with ${codes.join(', ')}`);
    // What `pbt run` does at the end: one more collection (files at least minAge old).
    await new Promise((r) => setTimeout(r, input.collectMinAgeMs));
    await collectCheckpoints(store, checkpoints, input.collectMinAgeMs);
    const final = await sample();
    const results = await store.listResults(exp.id);
    const members = await store.listMembers(exp.id);
    const best = results.reduce((a, b) =>
      // The retained best result: highest score, the earliest recorded on a tie.
      (b.score ?? -Infinity) > (a.score ?? -Infinity) || (b.score === a.score && b.id < a.id)
        ? b
        : a,
    );
    let retainedReadable = true;
    for (const key of [...members.map((m) => m.checkpoint), best.checkpoint]) {
      if (key === null) continue;
      await checkpoints.get(key).catch(() => (retainedReadable = false));
    }
    await checkpoints.close?.();
    return {
      experimentId: exp.id,
      seconds: (Date.now() - started) / 1000,
      population: input.population,
      checkpointsWritten: results.filter((r) => r.checkpoint !== null).length,
      peakCheckpoints,
      peakBytes,
      finalCheckpoints: final.count,
      finalBytes: final.bytes,
      samples,
      timeline,
      failedReadyPoints: results.filter((r) => r.error !== null).length,
      membersDone: members.filter((m) => m.status === 'done').length,
      retainedReadable,
    };
  } finally {
    await store.close();
  }
}

function runChild(args: readonly string[]): Promise<number | null> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('close', resolve));
}

/** Child process: one worker with the given collection settings. */
async function workerMain(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      worker: { type: 'boolean' },
      store: { type: 'string' },
      experiment: { type: 'string' },
      name: { type: 'string' },
      'collect-every': { type: 'string' },
      'collect-min-age': { type: 'string' },
    },
  });
  const url = values.store ?? '';
  const store = await openStore(url);
  try {
    const exp = await store.getExperiment(values.experiment ?? '');
    if (!exp) throw new Error(`no experiment ${values.experiment ?? ''}`);
    const config = parseExperimentConfig(exp.config, 'stored experiment config');
    const prepared = await prepareStoredExperiment(config, builtInTaskRegistry());
    const checkpoints = openCheckpointStore(config.checkpoints, url, exp);
    await runWorker({
      store,
      checkpoints,
      experimentId: exp.id,
      config: prepared.config,
      task: prepared.task,
      space: prepared.space,
      seed: exp.seed,
      workerId: values.name ?? 'disk',
      pollMs: 20,
      collect: {
        everyMs: Number(values['collect-every']),
        minAgeMs: Number(values['collect-min-age']),
      },
    });
    await checkpoints.close?.();
  } finally {
    await store.close();
  }
}

if (process.argv[1] === SELF && process.argv.includes('--worker')) {
  await workerMain(process.argv.slice(2));
}
