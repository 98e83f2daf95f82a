/**
 * What a hyperparameter schedule is worth on the image task: single members trained with
 * hand-set hyperparameters (constant ones, and a learning rate stepped down by hand), validation
 * and test-subset accuracy every `--every` steps. It measures the headroom PBT can find — a
 * schedule beating every constant setting — and why greedy selection can mislead (a setting that
 * leads early and stalls later).
 *
 *   node --import tsx experiments/image-classification-schedules.ts --dataset cifar10 --steps 3000
 *
 * Settings run two at a time in child processes (one per core); each child trains its settings
 * one after another and prints one JSON line per setting.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/engine/core/rng.js';
import type { Hparams } from '../src/engine/core/types.js';
import { svgLineChart } from '../src/engine/report/svg/line-chart.js';
import { createImageClassificationTask } from '../src/workloads/image-classification/image-classification-task.js';
import { parseImageClassificationOptions } from '../src/workloads/image-classification/options.js';

interface Setting {
  readonly label: string;
  /** Hyperparameters in force from `step` on (the first entry has step 0). */
  readonly phases: readonly { readonly step: number; readonly hparams: Hparams }[];
}

const constant = (label: string, lr: number, l1: number, width: number): Setting => ({
  label,
  phases: [{ step: 0, hparams: { lr, l1, width } }],
});

/** The settings, by name. `fixed` is the task's fixed baseline. */
function settings(steps: number): Record<string, Setting> {
  const at = (f: number): number => Math.round((f * steps) / 100) * 100;
  return {
    fixed: constant('lr 1e-3, L1 1e-5, width 256 (the fixed baseline)', 1e-3, 1e-5, 256),
    lr3e4: constant('lr 3e-4, L1 1e-5, width 256', 3e-4, 1e-5, 256),
    lr1e4: constant('lr 1e-4, L1 1e-5, width 256', 1e-4, 1e-5, 256),
    strongL1: constant('lr 1.5e-4, L1 1e-3, width 143', 1.5e-4, 1e-3, 143),
    l1e4: constant('lr 1e-3, L1 1e-4, width 256', 1e-3, 1e-4, 256),
    wide: constant('lr 1e-3, L1 1e-5, width 512', 1e-3, 1e-5, 512),
    stepped: {
      label: `lr 1e-3, ×0.3 at step ${at(0.5)} and ${at(5 / 6)}; L1 1e-5, width 256`,
      phases: [
        { step: 0, hparams: { lr: 1e-3, l1: 1e-5, width: 256 } },
        { step: at(0.5), hparams: { lr: 3e-4, l1: 1e-5, width: 256 } },
        { step: at(5 / 6), hparams: { lr: 1e-4, l1: 1e-5, width: 256 } },
      ],
    },
  };
}

interface Curve {
  readonly name: string;
  readonly label: string;
  readonly seconds: number;
  /** [step, validation accuracy, test-subset accuracy, mean training loss] */
  readonly points: [number, number, number, number][];
}

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'cifar10' },
    steps: { type: 'string', default: '3000' },
    every: { type: 'string', default: '250' },
    settings: { type: 'string', default: 'fixed,lr3e4,lr1e4,strongL1,stepped,wide' },
    parallel: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    child: { type: 'boolean', default: false },
  },
});
const DATASET = values.dataset;
const STEPS = Number(values.steps);
const EVERY = Number(values.every);
const NAMES = values.settings.split(',');
const SEED = Number(values.seed);
const ALL = settings(STEPS);
for (const name of NAMES) {
  if (ALL[name] === undefined) {
    throw new Error(`unknown setting "${name}"; known: ${Object.keys(ALL).join(', ')}`);
  }
}
if (!Number.isInteger(STEPS / EVERY)) throw new Error('--steps must be a multiple of --every');

async function trainSetting(name: string): Promise<Curve> {
  const setting = ALL[name] as Setting;
  const task = createImageClassificationTask(parseImageClassificationOptions({ dataset: DATASET }));
  const hparamsAt = (step: number): Hparams =>
    setting.phases.filter((p) => p.step <= step).at(-1)?.hparams ?? {};
  const ctx = {
    experimentId: 'schedules',
    memberId: 0,
    seed: SEED,
    rng: createRng('member', SEED),
    step: 0,
    log: (m: string): void => void process.stderr.write(`${name}: ${m}\n`),
  };
  const started = performance.now();
  const state = await task.create(hparamsAt(0), ctx);
  const points: Curve['points'] = [];
  for (let step = 0; step < STEPS; step += EVERY) {
    await task.train(state, hparamsAt(step), EVERY, { ...ctx, step });
    const m = await task.evaluate(state, { ...ctx, step: step + EVERY });
    points.push([step + EVERY, m.score, m.testAccuracy ?? Number.NaN, m.trainLoss ?? Number.NaN]);
    process.stderr.write(`${name}: step ${step + EVERY} validation ${m.score.toFixed(4)}\n`);
  }
  await task.dispose?.(state);
  return { name, label: setting.label, seconds: (performance.now() - started) / 1000, points };
}

/** Run `names` in a child process of this script; resolves with its curves. */
function runChild(names: readonly string[]): Promise<Curve[]> {
  const script = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', script, '--child', '--dataset', DATASET, '--steps'];
  args.push(String(STEPS), '--every', String(EVERY), '--seed', String(SEED));
  args.push('--settings', names.join(','));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const curves: Curve[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    curves.push(JSON.parse(line) as Curve);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(curves)
        : reject(new Error(`child for ${names.join(',')}: exit ${code}`)),
    );
  });
}

if (values.child) {
  for (const name of NAMES) console.log(JSON.stringify(await trainSetting(name)));
} else {
  const parallel = Math.max(1, Number(values.parallel));
  const shares = Array.from({ length: parallel }, (_, i) =>
    NAMES.filter((_, k) => k % parallel === i),
  ).filter((s) => s.length > 0);
  const started = performance.now();
  const curves = (await Promise.all(shares.map(runChild))).flat();
  curves.sort((a, b) => NAMES.indexOf(a.name) - NAMES.indexOf(b.name));
  const out = values.out ?? path.join('results', 'image-classification', `${DATASET}-schedules`);
  mkdirSync(out, { recursive: true });
  const title = DATASET === 'cifar10' ? 'CIFAR-10' : 'Fashion-MNIST';
  writeFileSync(
    path.join(out, 'validation-accuracy.svg'),
    svgLineChart({
      title: `${title}: one member per hand-set schedule (validation accuracy)`,
      xLabel: 'training steps',
      yLabel: 'validation accuracy',
      series: curves.map((c) => ({
        name: c.label,
        points: c.points.map(([s, v]) => [s, v] as const),
      })),
    }),
  );
  const round = (x: number): number => Number(x.toFixed(4));
  const summary = {
    experiment: 'image classification: single members with hand-set hyperparameter schedules',
    dataset: DATASET,
    command: `node --import tsx experiments/image-classification-schedules.ts --dataset ${DATASET} --steps ${STEPS} --every ${EVERY} --settings ${NAMES.join(',')} --seed ${SEED}`,
    wallSeconds: round((performance.now() - started) / 1000),
    parallel,
    settings: curves.map((c) => ({
      name: c.name,
      label: c.label,
      seconds: Number(c.seconds.toFixed(1)),
      final: {
        validationAccuracy: round(c.points.at(-1)?.[1] ?? Number.NaN),
        testSubsetAccuracy: round(c.points.at(-1)?.[2] ?? Number.NaN),
      },
      curve: c.points.map(([step, v, t, loss]) => ({
        step,
        validationAccuracy: round(v),
        testSubsetAccuracy: round(t),
        trainLoss: round(loss),
      })),
    })),
    finishedAt: new Date().toISOString(),
  };
  writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  for (const c of summary.settings) {
    console.log(
      `${c.name.padEnd(9)} validation ${c.final.validationAccuracy} test subset ${c.final.testSubsetAccuracy}  ${c.label}`,
    );
  }
}
