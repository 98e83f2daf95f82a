/**
 * The CIFAR-10 MLP (width 256, 2 hidden layers) and bench/engine.ts's CNN (conv32-pool-conv64-
 * pool-dense128 on 32x32x3), both with L1 on the kernels, Adam, batch 128, each trained three
 * ways side by side in one run: (a) TF.js — the MLP as pbt's built-in image-classification task,
 * the CNN as the same step in bench/lib/tfjs-cifar-cnn.ts (pbt has no built-in CNN task);
 * (b) PyTorch through the trainable protocol (examples/pytorch-cifar10/train.py --model M driven
 * by pbt's TrainableTask); (c) the same PyTorch loop alone (train.py --bench-server, no protocol).
 * The three take turns run by run, in a rotating order, so that a busy machine's drift hits them
 * alike; protocol/alone is reported as the median of the per-round ratios. Plus the protocol's
 * cost per request: round trips of `train` with 0 steps (p50/p99), and a member switch
 * (evaluate + save + load of a checkpoint).
 *
 *   PBT_DATA_DIR=/path/with/cifar node --import tsx bench/trainable-throughput.ts \
 *     [--models mlp,cnn] [--steps 500] [--cnn-steps 150] [--runs 5] [--chunk 100] \
 *     [--requests 500] [--python /usr/bin/python3] [--skip-tfjs] [--out FILE]
 *
 * One thread each (PyTorch set_num_threads(1); TF.js as the built-in task runs it). Writes
 * results/bench/trainable-throughput.json (or --out).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createRng, hashSeed } from '../src/engine/core/rng.js';
import type { Hparams } from '../src/engine/core/types.js';
import type { TaskContext } from '../src/engine/tasks/task.js';
import { launchSpec } from '../src/engine/trainable/launch-spec.js';
import { TrainableTask, type TrainableHandle } from '../src/engine/trainable/trainable-task.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { createTfjsCifarCnn } from './lib/tfjs-cifar-cnn.js';

type Model = 'mlp' | 'cnn';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = path.join(REPO, 'examples', 'pytorch-cifar10');
// train.py's DEFAULT_HPARAMS: the MLP of the report, the CNN of bench/engine.ts.
const HPARAMS: Record<Model, Hparams> = {
  mlp: { l1: 1e-5, lr: 1e-3, width: 256 },
  cnn: { l1: 1e-5, lr: 1e-3, width: 128 },
};
const DESCRIPTION: Record<Model, string> = {
  mlp: 'MLP 3072-256-256-10, L1 1e-5, Adam 1e-3, batch 128, CIFAR-10',
  cnn: 'CNN conv32-pool-conv64-pool-dense128 on 32x32x3, L1 1e-5, Adam 1e-3, batch 128, CIFAR-10',
};
const SPACE = {
  l1: { type: 'loguniform', min: 1e-8, max: 1e-4 },
  lr: { type: 'loguniform', min: 1e-5, max: 1e-2 },
  width: { type: 'int', min: 32, max: 512, log: true },
} as const;

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,cnn' },
    steps: { type: 'string', default: '500' },
    'cnn-steps': { type: 'string', default: '150' },
    runs: { type: 'string', default: '5' },
    chunk: { type: 'string', default: '100' },
    requests: { type: 'string', default: '500' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'skip-tfjs': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const models = args.models.split(',').map((m) => {
  if (m !== 'mlp' && m !== 'cnn') throw new Error(`--models: ${m} is not mlp or cnn`);
  return m;
});
const chunk = Number(args.chunk);
const requests = Number(args.requests);
const runs = Number(args.runs);
const stepsOf = (m: Model): number => Number(m === 'mlp' ? args.steps : args['cnn-steps']);

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

/** One way of training: `train(n)` trains n more steps of the same model. */
interface Way {
  readonly name: 'tfjs' | 'pytorchProtocol' | 'pytorchAlone';
  /** Steps/s of one timed run of `steps` steps. */
  run(steps: number): Promise<number>;
  close(): Promise<void>;
}

async function tfjsWay(model: Model): Promise<Way & { backend?: string }> {
  const h = HPARAMS[model];
  if (model === 'cnn') {
    const cnn = await createTfjsCifarCnn({
      l1: Number(h.l1),
      lr: Number(h.lr),
      width: Number(h.width),
    });
    cnn.train(5); // warm-up
    return {
      name: 'tfjs',
      backend: cnn.backend,
      run: (steps) => {
        const t0 = performance.now();
        cnn.train(steps);
        return Promise.resolve(steps / ((performance.now() - t0) / 1000));
      },
      close: () => Promise.resolve(cnn.dispose()),
    };
  }
  const def = await builtInTaskRegistry().resolve('image-classification');
  const options = def.parseOptions?.({ dataset: 'cifar10' }) ?? {};
  const task = await def.create(options as never);
  const state = await task.create(h, ctx(0));
  let step = 0;
  const train = async (n: number): Promise<void> => {
    for (let done = 0; done < n; done += chunk) {
      const k = Math.min(chunk, n - done);
      await task.train(state, h, k, ctx(step));
      step += k;
    }
  };
  await train(20); // warm-up
  return {
    name: 'tfjs',
    run: async (steps) => {
      const t0 = performance.now();
      await train(steps);
      return steps / ((performance.now() - t0) / 1000);
    },
    close: async () => {
      await task.dispose?.(state);
    },
  };
}

async function protocolWay(
  model: Model,
): Promise<Way & { task: TrainableTask; state: TrainableHandle }> {
  const h = HPARAMS[model];
  const spec = launchSpec(
    { command: `${args.python} train.py --model ${model}`, args: [], env: {}, timeoutSeconds: 900 },
    process.env,
    EXAMPLE,
  );
  const task = new TrainableTask({ name: 'train.py', space: SPACE, spec, timeoutSeconds: 900 });
  const state = await task.create(h, ctx(0));
  let step = 0;
  await task.train(state, h, 20, ctx(0)); // warm-up, as --bench-server's
  step = 20;
  return {
    name: 'pytorchProtocol',
    task,
    state,
    run: async (steps) => {
      const t0 = performance.now();
      for (let done = 0; done < steps; done += chunk) {
        const n = Math.min(chunk, steps - done);
        await task.train(state, h, n, ctx(step));
        step += n;
      }
      return steps / ((performance.now() - t0) / 1000);
    },
    close: async () => {
      await task.dispose(state);
      await task.release();
    },
  };
}

async function aloneWay(model: Model): Promise<Way> {
  const spec = launchSpec(
    { command: args.python, args: [], env: {}, timeoutSeconds: 900 },
    process.env,
    EXAMPLE,
  );
  const alone: ChildProcessWithoutNullStreams = spawn(
    args.python,
    ['train.py', '--model', model, '--bench-server'],
    { cwd: EXAMPLE, env: spec.env, stdio: 'pipe' },
  );
  alone.stderr.pipe(process.stderr);
  const lines = createInterface({ input: alone.stdout })[Symbol.asyncIterator]();
  const answer = async (): Promise<Record<string, number>> => {
    const next = await lines.next();
    if (next.done === true) throw new Error('train.py --bench-server exited');
    return JSON.parse(next.value) as Record<string, number>;
  };
  await answer(); // {"ready": true} after its warm-up
  return {
    name: 'pytorchAlone',
    run: async (steps) => {
      alone.stdin.write(`${steps}\n`);
      return (await answer()).stepsPerSecond ?? Number.NaN;
    },
    close: () => {
      alone.stdin.end();
      return new Promise((resolve) => alone.once('exit', () => resolve()));
    },
  };
}

async function benchModel(model: Model): Promise<Record<string, unknown>> {
  const steps = stepsOf(model);
  const load0 = os.loadavg();
  const tfjs = args['skip-tfjs'] ? undefined : await tfjsWay(model);
  const protocol = await protocolWay(model);
  const alone = await aloneWay(model);
  const ways: Way[] = [...(tfjs ? [tfjs] : []), protocol, alone];
  const rates = new Map<Way['name'], number[]>(ways.map((w) => [w.name, []]));
  const ratios: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Rotate who goes first: a drift within a round does not always favour the same way.
    const order = ways.map((_, i) => ways[(i + r) % ways.length] as Way);
    const round = new Map<Way['name'], number>();
    for (const way of order) {
      const sps = await way.run(steps);
      round.set(way.name, sps);
      rates.get(way.name)?.push(sps);
    }
    ratios.push((round.get('pytorchProtocol') ?? NaN) / (round.get('pytorchAlone') ?? NaN));
    console.error(
      `  ${model} round ${r + 1}: ${order.map((w) => `${w.name} ${round.get(w.name)?.toFixed(1)}`).join(', ')} steps/s`,
    );
  }
  // Protocol round trips: `train` with 0 steps does nothing but apply the hyperparameters.
  const h = HPARAMS[model];
  const roundTrips: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await protocol.task.train(protocol.state, h, 0, ctx(0));
    roundTrips.push(performance.now() - t0);
  }
  // A ready point's extra requests when the worker switches member: evaluate, save, load.
  const readyPoint: number[] = [];
  let current = protocol.state;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await protocol.task.evaluate(current, ctx(0));
    const bytes = await protocol.task.save(current);
    await protocol.task.dispose(current);
    current = await protocol.task.load(bytes, h, ctx(0));
    readyPoint.push(performance.now() - t0);
  }
  await protocol.task.dispose(current);
  await protocol.task.release();
  await alone.close();
  await tfjs?.close();
  const median = (name: Way['name']): number => quantile(rates.get(name) ?? [], 0.5);
  return {
    model: DESCRIPTION[model],
    steps,
    chunk,
    runs,
    load: { start: load0, end: os.loadavg() },
    ...(tfjs
      ? {
          tfjs: {
            stepsPerSecond: median('tfjs'),
            runs: rates.get('tfjs'),
            how:
              model === 'mlp'
                ? 'built-in image-classification task'
                : 'bench/lib/tfjs-cifar-cnn.ts',
          },
        }
      : {}),
    pytorchProtocol: {
      stepsPerSecond: median('pytorchProtocol'),
      runs: rates.get('pytorchProtocol'),
      requestRoundTripMs: { p50: quantile(roundTrips, 0.5), p99: quantile(roundTrips, 0.99) },
      evaluateSaveLoadMs: { p50: quantile(readyPoint, 0.5), max: Math.max(...readyPoint) },
    },
    pytorchAlone: { stepsPerSecond: median('pytorchAlone'), runs: rates.get('pytorchAlone') },
    // Median of the per-round ratios: each pair ran back to back.
    protocolVsAlone: quantile(ratios, 0.5),
    protocolVsAloneRounds: ratios,
    ...(tfjs ? { pytorchProtocolVsTfjs: median('pytorchProtocol') / median('tfjs') } : {}),
  };
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load: os.loadavg() },
    command: process.argv.slice(2).join(' '),
  };
  const lines: string[] = [];
  for (const model of models) {
    const r = await benchModel(model);
    out[model] = r;
    const get = (k: string, f: string): number | undefined =>
      (r[k] as Record<string, number> | undefined)?.[f];
    const rt = (r.pytorchProtocol as { requestRoundTripMs: { p50: number; p99: number } })
      .requestRoundTripMs;
    lines.push(
      `${model}: steps/s  TF.js ${get('tfjs', 'stepsPerSecond')?.toFixed(1) ?? 'skipped'}` +
        `  PyTorch via protocol ${get('pytorchProtocol', 'stepsPerSecond')?.toFixed(1)}` +
        `  PyTorch alone ${get('pytorchAlone', 'stepsPerSecond')?.toFixed(1)}` +
        `  (protocol/alone, median of rounds ${(r.protocolVsAlone as number).toFixed(3)});` +
        `  round trip p50 ${rt.p50.toFixed(3)} ms, p99 ${rt.p99.toFixed(3)} ms`,
    );
  }
  (out.host as Record<string, unknown>).loadEnd = os.loadavg();
  const file = path.resolve(
    args.out ?? path.join(REPO, 'results', 'bench', 'trainable-throughput.json'),
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log([...lines, `wrote ${file}`].join('\n'));
}

await main();
