/**
 * Training throughput of the TensorFlow.js engine (examples/s) on three workloads, on every
 * available tfjs backend, against PyTorch with one thread when Debian's python3-torch is present.
 *
 *   node --import tsx bench/engine.ts [--runs 5] [--target-seconds 1.5] [--skip-torch]
 *
 * Each backend configuration runs in its own child process (kernel registrations and wasm heap
 * growth must not leak between them). Synthetic random data: no data set needed. Writes the
 * summary to results/bench/engine.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfType from '@tensorflow/tfjs';
import { createRng } from '../src/engine/core/rng.js';
import { initBackend } from '../src/workloads/tfjs/backend.js';
import { sparseSoftmaxCrossEntropy } from '../src/workloads/tfjs/losses.js';
import {
  BatchSampler,
  gatherBatch,
  trainStep,
  trainableVariables,
  type ExampleArray,
} from '../src/workloads/tfjs/train-loop.js';

type WorkloadName = 'mlp' | 'cnn' | 'gru';

interface WorkloadResult {
  workload: WorkloadName;
  /** Median examples/s over the timed runs; absent when the workload failed. */
  examplesPerSecond?: number;
  runs?: number[];
  stepsPerRun?: number;
  batchSize: number;
  error?: string;
}

interface ConfigResult {
  config: string;
  backend: string;
  results: WorkloadResult[];
}

const WORKLOADS: Record<WorkloadName, string> = {
  mlp: 'MLP 784-256-256-10, batch 128, Adam',
  cnn: 'CNN conv32-pool-conv64-pool-dense128, 28x28x1, batch 128, Adam',
  gru: 'embedding 100 + GRU 96 x 30 tokens, vocab 5,000 softmax, batch 64, Adam',
};

const CONFIGS: {
  name: string;
  backend: 'wasm' | 'cpu';
  fixes: boolean;
  workloads: WorkloadName[];
}[] = [
  { name: 'tfjs wasm stock', backend: 'wasm', fixes: false, workloads: ['mlp', 'cnn', 'gru'] },
  {
    name: 'tfjs wasm + our kernels',
    backend: 'wasm',
    fixes: true,
    workloads: ['mlp', 'cnn', 'gru'],
  },
  { name: 'tfjs cpu', backend: 'cpu', fixes: false, workloads: ['mlp'] },
];

interface Options {
  runs: number;
  targetSeconds: number;
  skipTorch: boolean;
}

function parseArgs(argv: string[]): Options & { child?: string; workload?: WorkloadName } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const options: Options & { child?: string; workload?: WorkloadName } = {
    runs: Number(get('--runs') ?? 5),
    targetSeconds: Number(get('--target-seconds') ?? 1.5),
    skipTorch: argv.includes('--skip-torch'),
  };
  const child = get('--child');
  if (child !== undefined) options.child = child;
  const workload = get('--workload');
  if (workload !== undefined) options.workload = workload as WorkloadName;
  return options;
}

// --- workloads -------------------------------------------------------------------------------

interface Workload {
  batchSize: number;
  model: tfType.LayersModel;
  x: ExampleArray;
  y: ExampleArray;
  loss: (logits: tfType.Tensor, y: tfType.Tensor) => tfType.Scalar;
}

function randomBytes(n: number, seed: string): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function randomInts(n: number, max: number, seed: string): Int32Array {
  const rng = createRng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(max);
  return out;
}

function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

function buildWorkload(tf: typeof tfType, name: WorkloadName): Workload {
  const examples = 1024;
  const softmaxLoss = (logits: tfType.Tensor, y: tfType.Tensor): tfType.Scalar =>
    tf.losses.softmaxCrossEntropy<tfType.Tensor, tfType.Scalar>(y, logits);
  switch (name) {
    case 'mlp':
      return {
        batchSize: 128,
        model: tf.sequential({
          layers: [
            tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
            tf.layers.dense({ units: 256, activation: 'relu' }),
            tf.layers.dense({ units: 10 }),
          ],
        }),
        x: { data: randomBytes(examples * 784, 'mlp-x'), exampleShape: [784], scale: 1 / 255 },
        y: { data: oneHot(randomInts(examples, 10, 'mlp-y'), 10), exampleShape: [10] },
        loss: softmaxLoss,
      };
    case 'cnn':
      return {
        batchSize: 128,
        model: tf.sequential({
          layers: [
            tf.layers.conv2d({
              inputShape: [28, 28, 1],
              filters: 32,
              kernelSize: 3,
              activation: 'relu',
            }),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 128, activation: 'relu' }),
            tf.layers.dense({ units: 10 }),
          ],
        }),
        x: {
          data: randomBytes(examples * 784, 'cnn-x'),
          exampleShape: [28, 28, 1],
          scale: 1 / 255,
        },
        y: { data: oneHot(randomInts(examples, 10, 'cnn-y'), 10), exampleShape: [10] },
        loss: softmaxLoss,
      };
    case 'gru': {
      const vocab = 5000;
      const steps = 30;
      return {
        batchSize: 64,
        model: tf.sequential({
          layers: [
            tf.layers.embedding({ inputDim: vocab, outputDim: 100, inputLength: steps }),
            tf.layers.gru({ units: 96, returnSequences: true }),
            // Dense on the [batch, time, 96] sequence: one matmul for all time steps.
            tf.layers.dense({ units: vocab }),
          ],
        }),
        x: { data: randomInts(256 * steps, vocab, 'gru-x'), exampleShape: [steps] },
        y: { data: randomInts(256 * steps, vocab, 'gru-y'), exampleShape: [steps] },
        // Sparse softmax cross-entropy over the 5,000 words (XNNPACK softmax; see src/tfjs/losses.ts).
        loss: (logits, y) =>
          sparseSoftmaxCrossEntropy(logits.reshape([-1, vocab]), y.reshape([-1])),
      };
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function runWorkload(tf: typeof tfType, name: WorkloadName, options: Options): WorkloadResult {
  const w = buildWorkload(tf, name);
  const optimizer = tf.train.adam(1e-3);
  const varList = trainableVariables(w.model);
  const sampler = new BatchSampler(
    w.x.data.length / w.x.exampleShape.reduce((a, b) => a * b, 1),
    name,
  );
  const step = (): void => {
    const idx = sampler.next(w.batchSize);
    const x = gatherBatch(w.x, idx);
    const y = gatherBatch(w.y, idx);
    try {
      trainStep(
        optimizer,
        () => w.loss(w.model.apply(x, { training: true }) as tfType.Tensor, y),
        varList,
      );
    } finally {
      tf.dispose([x, y]);
    }
  };
  try {
    // Warm-up (kernel setup, heap growth, JIT); its timing sizes the timed runs.
    step();
    const t0 = performance.now();
    step();
    const stepSeconds = (performance.now() - t0) / 1000;
    const stepsPerRun = Math.max(1, Math.round(options.targetSeconds / stepSeconds));
    const runs: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      const start = performance.now();
      for (let s = 0; s < stepsPerRun; s++) step();
      runs.push((stepsPerRun * w.batchSize) / ((performance.now() - start) / 1000));
    }
    return {
      workload: name,
      examplesPerSecond: median(runs),
      runs,
      stepsPerRun,
      batchSize: w.batchSize,
    };
  } catch (err) {
    return {
      workload: name,
      batchSize: w.batchSize,
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    w.model.dispose();
    optimizer.dispose();
  }
}

async function child(
  configName: string,
  workloads: WorkloadName[],
  options: Options,
): Promise<void> {
  const config = CONFIGS.find((c) => c.name === configName);
  if (config === undefined) throw new Error(`unknown config ${configName}`);
  const { name, tf } = await initBackend(config.backend, { kernelFixes: config.fixes });
  // Silences tfjs warnings only (e.g. the cpu backend's "install tfjs-node" notice).
  tf.enableProdMode();
  const results: WorkloadResult[] = [];
  for (const workload of workloads) {
    const r = runWorkload(tf, workload, options);
    process.stderr.write(
      `  ${config.name} ${workload}: ${r.examplesPerSecond?.toFixed(0) ?? r.error} ex/s\n`,
    );
    results.push(r);
  }
  const out: ConfigResult = { config: config.name, backend: name, results };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// --- orchestration ---------------------------------------------------------------------------

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null');
}

function runTfjsConfig(name: string, workload: WorkloadName, options: Options): ConfigResult {
  const args = ['--import', 'tsx', path.join(here, 'engine.ts'), '--child', name];
  args.push('--workload', workload);
  args.push('--runs', String(options.runs), '--target-seconds', String(options.targetSeconds));
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${name} child exited with ${r.status}`);
  return lastJsonLine(r.stdout) as ConfigResult;
}

function findTorchPython(): string | undefined {
  // Debian's python3-torch lives in the system interpreter (a pyenv shim may shadow it).
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function runTorch(
  py: string,
  workload: WorkloadName,
  options: Options,
): ConfigResult | { config: string; error: string } {
  const args = [path.join(here, 'engine-torch.py'), '--workload', workload];
  args.push('--runs', String(options.runs));
  args.push('--target-seconds', String(options.targetSeconds));
  // One thread everywhere: torch.set_num_threads(1) alone leaves OpenBLAS's own pool running.
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: '1',
    OMP_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
  const r = spawnSync(py, args, {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0)
    return { config: 'pytorch 1 thread', error: `engine-torch.py exited with ${r.status}` };
  return lastJsonLine(r.stdout) as ConfigResult;
}

function fmt(n: number | undefined): string {
  return n === undefined ? 'fails' : n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

function orchestrate(options: Options): void {
  const loadBefore = os.loadavg();
  const started = new Date();
  console.log(
    `engine bench: ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  // Workload by workload, every engine back to back: on a shared machine the load drifts, and
  // the figures compared in one row should see the same load.
  const py = options.skipTorch ? undefined : findTorchPython();
  let torchError: string | undefined = options.skipTorch
    ? 'skipped (--skip-torch)'
    : py === undefined
      ? 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)'
      : undefined;
  const byConfig = new Map<string, ConfigResult>();
  const add = (r: ConfigResult): void => {
    const existing = byConfig.get(r.config);
    if (existing === undefined) byConfig.set(r.config, { ...r, results: [...r.results] });
    else existing.results.push(...r.results);
  };
  const loadByWorkload: Record<string, number> = {};
  for (const w of Object.keys(WORKLOADS) as WorkloadName[]) {
    loadByWorkload[w] = os.loadavg()[0]!;
    for (const c of CONFIGS) if (c.workloads.includes(w)) add(runTfjsConfig(c.name, w, options));
    if (py !== undefined) {
      const t = runTorch(py, w, options);
      if ('results' in t) add(t);
      else torchError = t.error;
    }
  }
  const configs = [...byConfig.values()];
  const loadAfter = os.loadavg();

  const value = (config: string, w: WorkloadName): number | undefined =>
    configs.find((c) => c.config === config)?.results.find((r) => r.workload === w)
      ?.examplesPerSecond;
  const torchName = 'pytorch 1 thread';
  const rows = (Object.keys(WORKLOADS) as WorkloadName[]).map((w) => {
    const t = value(torchName, w);
    const cells = configs.map((c) => {
      const v = value(c.config, w);
      const r = c.results.find((x) => x.workload === w);
      if (r === undefined) return '-';
      if (v === undefined) return 'fails';
      return c.config === torchName || t === undefined
        ? fmt(v)
        : `${fmt(v)} (${(v / t).toFixed(2)})`;
    });
    return `| ${WORKLOADS[w]} | ${cells.join(' | ')} |`;
  });
  console.log('\nexamples/s (ratio to PyTorch 1 thread):\n');
  console.log(`| workload | ${configs.map((c) => c.config).join(' | ')} |`);
  console.log(`|---|${configs.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(r);
  for (const c of configs) {
    for (const r of c.results)
      if (r.error !== undefined) console.log(`\n${c.config} ${r.workload} failed: ${r.error}`);
  }
  if (torchError !== undefined) console.log(`\nPyTorch: ${torchError}`);
  const busy = Math.max(loadBefore[0]!, loadAfter[0]!) > 1.2;
  if (busy)
    console.log(
      `\nnote: the machine was busy (load average ${loadAfter[0]!.toFixed(2)}): figures are noisy`,
    );

  const summary = {
    bench: 'engine',
    command: 'node --import tsx bench/engine.ts',
    startedAt: started.toISOString(),
    node: process.version,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    /** 1-minute load average when each workload's runs started. */
    loadByWorkload,
    busy,
    options,
    workloads: WORKLOADS,
    configs,
    ...(torchError !== undefined ? { torchError } : {}),
  };
  const outDir = path.join(root, 'results', 'bench');
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'engine.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(root, path.join(outDir, 'engine.json'))}`);
}

const options = parseArgs(process.argv.slice(2));
if (options.child !== undefined) {
  const config = CONFIGS.find((c) => c.name === options.child);
  await child(
    options.child,
    options.workload !== undefined ? [options.workload] : (config?.workloads ?? []),
    options,
  );
} else orchestrate(options);
