/**
 * The CIFAR-10 MLP (width 256, 2 hidden layers, L1, Adam, batch 128) trained three ways, side by
 * side in one run: (a) TF.js as pbt's built-in image-classification task, (b) PyTorch through the
 * trainable protocol (examples/pytorch-cifar10/train.py driven by pbt's TrainableTask), (c) the
 * same PyTorch loop alone (train.py --bench-server; its runs alternate with (b)'s so that a busy
 * machine's drift hits both alike). Plus the protocol's cost per request: round trips of `train`
 * with 0 steps (p50/p99), and a member switch (evaluate + save + load of a checkpoint).
 *
 *   PBT_DATA_DIR=/path/with/cifar node --import tsx bench/trainable-throughput.ts \
 *     [--steps 2000] [--runs 3] [--chunk 100] [--requests 500] [--python /usr/bin/python3] [--skip-tfjs]
 *
 * One thread each (PyTorch set_num_threads(1); TF.js as the built-in task runs it). Writes
 * results/bench/trainable-throughput.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
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

  // (b) PyTorch through the protocol and (c) the same loop alone, runs interleaved so that a
  // busy machine's drift hits both alike.
  const spec = launchSpec(
    { command: `${args.python} train.py`, args: [], env: {}, timeoutSeconds: 900 },
    process.env,
    EXAMPLE,
  );
  const alone = spawn(args.python, ['train.py', '--bench-server'], {
    cwd: EXAMPLE,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const aloneLines = createInterface({ input: alone.stdout })[Symbol.asyncIterator]();
  const aloneAnswer = async (): Promise<Record<string, number>> => {
    const next = await aloneLines.next();
    if (next.done === true) throw new Error('train.py --bench-server exited');
    return JSON.parse(next.value) as Record<string, number>;
  };
  const task = new TrainableTask({ name: 'train.py', space: SPACE, spec, timeoutSeconds: 900 });
  const [state] = await Promise.all([task.create(H, ctx(0)), aloneAnswer()]);
  await task.train(state, H, 20, ctx(0));
  const protocolRates: number[] = [];
  const aloneRates: number[] = [];
  let step = 20;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let done = 0; done < steps; done += chunk) {
      const n = Math.min(chunk, steps - done);
      await task.train(state, H, n, ctx(step));
      step += n;
    }
    protocolRates.push(steps / ((performance.now() - t0) / 1000));
    alone.stdin.write(`${steps}\n`);
    aloneRates.push((await aloneAnswer()).stepsPerSecond ?? Number.NaN);
  }
  alone.stdin.end();
  const protocolSps = quantile(protocolRates, 0.5);
  const aloneSps = quantile(aloneRates, 0.5);
  console.error(`(b) PyTorch through the protocol: ${protocolSps.toFixed(1)} steps/s`);
  console.error(`(c) PyTorch alone: ${aloneSps.toFixed(1)} steps/s`);
  // Protocol round trips: `train` with 0 steps does nothing but apply the hyperparameters.
  const roundTrips: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await task.train(state, H, 0, ctx(0));
    roundTrips.push(performance.now() - t0);
  }
  // A ready point's extra requests when the worker switches member: evaluate, save, load.
  const readyPoint: number[] = [];
  let current = state;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await task.evaluate(current, ctx(0));
    const bytes = await task.save(current);
    await task.dispose(current);
    current = await task.load(bytes, H, ctx(0));
    readyPoint.push(performance.now() - t0);
  }
  await task.dispose(current);
  await task.release();
  out.pytorchProtocol = {
    stepsPerSecond: protocolSps,
    runs: protocolRates,
    requestRoundTripMs: { p50: quantile(roundTrips, 0.5), p99: quantile(roundTrips, 0.99) },
    evaluateSaveLoadMs: { p50: quantile(readyPoint, 0.5), max: Math.max(...readyPoint) },
  };
  out.pytorchAlone = { stepsPerSecond: aloneSps, runs: aloneRates };
  out.protocolVsAlone = protocolSps / aloneSps;

  mkdirSync(path.join(REPO, 'results', 'bench'), { recursive: true });
  const file = path.join(REPO, 'results', 'bench', 'trainable-throughput.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  const rt = (out.pytorchProtocol as { requestRoundTripMs: { p50: number; p99: number } })
    .requestRoundTripMs;
  console.log(
    [
      `steps/s  TF.js built-in: ${(out.tfjs as { stepsPerSecond?: number } | undefined)?.stepsPerSecond?.toFixed(1) ?? 'skipped'}` +
        `  PyTorch via protocol: ${protocolSps.toFixed(1)}  PyTorch alone: ${aloneSps.toFixed(1)}` +
        `  (protocol/alone ${(protocolSps / aloneSps).toFixed(3)})`,
      `protocol round trip per request: p50 ${rt.p50.toFixed(3)} ms, p99 ${rt.p99.toFixed(3)} ms (${requests} requests)`,
      `wrote ${file}`,
    ].join('\n'),
  );
}

await main();
