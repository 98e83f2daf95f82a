/**
 * The CIFAR-10 MLP (width 256, 2 hidden layers, L1, Adam, batch 128) trained three ways, side by
 * side in one run: (a) TF.js as pbt's built-in image-classification task, (b) PyTorch through the
 * trainable protocol (examples/pytorch-cifar10/train.py driven by pbt's TrainableTask), (c) the
 * same PyTorch loop alone (train.py --bench). Plus the protocol's cost per request: round trips
 * of `train` with 0 steps (p50/p99), and per ready point (evaluate + save + load of a checkpoint).
 *
 *   PBT_DATA_DIR=/path/with/cifar node --import tsx bench/trainable-throughput.ts \
 *     [--steps 2000] [--runs 3] [--chunk 100] [--requests 500] [--python /usr/bin/python3] [--skip-tfjs]
 *
 * One thread each (PyTorch set_num_threads(1); TF.js as the built-in task runs it). Writes
 * results/bench/trainable-throughput.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng, hashSeed } from '../src/engine/core/rng.js';
import type { Hparams } from '../src/engine/core/types.js';
import type { Task, TaskContext } from '../src/engine/tasks/task.js';
import { launchSpec } from '../src/engine/trainable/launch-spec.js';
import { TrainableTask } from '../src/engine/trainable/trainable-task.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = path.join(REPO, 'examples', 'pytorch-cifar10');
const H: Hparams = { l1: 1e-5, lr: 1e-3, width: 256 };
const SPACE = {
  l1: { type: 'loguniform', min: 1e-8, max: 1e-4 },
  lr: { type: 'loguniform', min: 1e-5, max: 1e-2 },
  width: { type: 'int', min: 32, max: 512, log: true },
} as const;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '100' },
    requests: { type: 'string', default: '500' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'skip-tfjs': { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
const chunk = Number(args.chunk);
const requests = Number(args.requests);
const runs = Number(args.runs);

const ctx = (step: number): TaskContext => {
  const seed = hashSeed(0, 'member', 0, step);
  return {
    experimentId: 'bench',
    memberId: 0,
    seed,
    rng: createRng(seed),
    step,
    log: (m) => void process.stderr.write(`  | ${m}\n`),
  };
};

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

/** Steps/s of `task` (median of `runs` runs of `steps` steps in requests of `chunk`, after a warm-up). */
async function stepsPerSecond(
  task: Task,
  state: unknown,
): Promise<{ median: number; runs: number[] }> {
  await task.train(state, H, 20, ctx(0));
  const rates: number[] = [];
  let step = 20;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let done = 0; done < steps; done += chunk) {
      const n = Math.min(chunk, steps - done);
      await task.train(state, H, n, ctx(step));
      step += n;
    }
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  return { median: quantile(rates, 0.5), runs: rates };
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load: os.loadavg() },
    model: 'MLP 3072-256-256-10, L1 1e-5, Adam 1e-3, batch 128, CIFAR-10',
    steps,
    chunk,
  };

  // (a) TF.js, the built-in task.
  if (!args['skip-tfjs']) {
    const def = await builtInTaskRegistry().resolve('image-classification');
    const options = def.parseOptions?.({ dataset: 'cifar10' }) ?? {};
    const task = await def.create(options as never);
    const state = await task.create(H, ctx(0));
    const sps = await stepsPerSecond(task, state);
    await task.dispose?.(state);
    out.tfjs = { stepsPerSecond: sps.median, runs: sps.runs };
    console.error(`(a) TF.js built-in task: ${sps.median.toFixed(1)} steps/s`);
  }

  // (b) PyTorch through the protocol.
  const spec = launchSpec(
    { command: `${args.python} train.py`, args: [], env: {}, timeoutSeconds: 900 },
    process.env,
    EXAMPLE,
  );
  const task = new TrainableTask({ name: 'train.py', space: SPACE, spec, timeoutSeconds: 900 });
  const state = await task.create(H, ctx(0));
  const protocol = await stepsPerSecond(task, state);
  const protocolSps = protocol.median;
  console.error(`(b) PyTorch through the protocol: ${protocolSps.toFixed(1)} steps/s`);
  // Protocol round trips: `train` with 0 steps does nothing but apply the hyperparameters.
  const roundTrips: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await task.train(state, H, 0, ctx(0));
    roundTrips.push(performance.now() - t0);
  }
  // A ready point's extra requests: evaluate, save (and the next member's load).
  const readyPoint: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await task.evaluate(state, ctx(0));
    const bytes = await task.save(state);
    await task.dispose(state);
    await task.load(bytes, H, ctx(0));
    readyPoint.push(performance.now() - t0);
  }
  await task.release();
  out.pytorchProtocol = {
    stepsPerSecond: protocolSps,
    runs: protocol.runs,
    requestRoundTripMs: { p50: quantile(roundTrips, 0.5), p99: quantile(roundTrips, 0.99) },
    evaluateSaveLoadMs: { p50: quantile(readyPoint, 0.5), max: Math.max(...readyPoint) },
  };

  // (c) PyTorch alone, same loop.
  const alone = JSON.parse(
    execFileSync(args.python, ['train.py', '--bench', String(steps), '--runs', String(runs)], {
      cwd: EXAMPLE,
      env: spec.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim(),
  ) as { stepsPerSecond: number };
  console.error(`(c) PyTorch alone: ${alone.stepsPerSecond.toFixed(1)} steps/s`);
  out.pytorchAlone = alone;
  out.protocolVsAlone = protocolSps / alone.stepsPerSecond;

  mkdirSync(path.join(REPO, 'results', 'bench'), { recursive: true });
  const file = path.join(REPO, 'results', 'bench', 'trainable-throughput.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  const rt = (out.pytorchProtocol as { requestRoundTripMs: { p50: number; p99: number } })
    .requestRoundTripMs;
  console.log(
    [
      `steps/s  TF.js built-in: ${(out.tfjs as { stepsPerSecond?: number } | undefined)?.stepsPerSecond?.toFixed(1) ?? 'skipped'}` +
        `  PyTorch via protocol: ${protocolSps.toFixed(1)}  PyTorch alone: ${alone.stepsPerSecond.toFixed(1)}` +
        `  (protocol/alone ${(protocolSps / alone.stepsPerSecond).toFixed(3)})`,
      `protocol round trip per request: p50 ${rt.p50.toFixed(3)} ms, p99 ${rt.p99.toFixed(3)} ms (${requests} requests)`,
      `wrote ${file}`,
    ].join('\n'),
  );
}

await main();
