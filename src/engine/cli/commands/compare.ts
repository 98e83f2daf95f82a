import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import {
  COMPARE_METHODS,
  loadState,
  prepareMethods,
  runComparison,
  saveState,
  summarizeComparison,
  type CompareMethod,
  type ComparisonSpec,
} from '../../compare/run-comparison.js';
import { ConfigError } from '../../core/errors.js';
import { redactPassword } from '../../store/postgres/connection.js';
import { newExperimentId } from '../../setup/create-experiment.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { renderComparisonHtml } from '../../report/comparison-chart.js';
import { methodLine } from '../../compare/summary.js';
import { DEFAULT_STORE, withStore } from '../context.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { buildRawConfig, type RunFlags } from './run.js';
import { LIMITS } from '../../config/limits.js';
import { TaskAllowList, executableRef } from '../../tasks/allow-list.js';
import { parseWholeFlag } from '../numeric-flag.js';

/** Every equal-budget method; replay and final are asked for explicitly. */
const DEFAULT_METHODS = 'pbt,random,grid,fixed,asha,bo';

interface CompareFlags extends RunFlags {
  methods?: string;
  seeds?: string;
  firstSeed?: string;
  out?: string;
  boBatch?: string;
  resume?: string | boolean;
}

export function registerCompare(
  program: Command,
  log: (line: string) => void,
  tasks: TaskRegistry,
): void {
  program
    .command('compare')
    .description(
      'run several methods × seeds at the same total member-steps and write comparison.json (mean, sd, 95 % t-interval per method)',
    )
    .argument('[task-or-config]', 'built-in task name, task module path, or experiment file')
    .option('--methods <list>', `any of ${COMPARE_METHODS.join(',')}`, DEFAULT_METHODS)
    .option('--seeds <n>', 'seeds per method', '3')
    .option('--first-seed <n>', 'first seed (seeds are consecutive)', '1')
    .option('-c, --config <file>', 'experiment file (JSON or YAML)')
    .option('-p, --population <n>', 'population size (the budget is population × steps)')
    .option('-b, --budget <steps>', 'training steps per member')
    .option('-w, --workers <n>', 'local worker processes (default: number of cores)')
    .option('--store <url>', `population store (default ${DEFAULT_STORE})`)
    .option('--checkpoints <dir|postgres|url>', 'checkpoint store (default .pbt/checkpoints)')
    .option('--set <key=value...>', 'task option, e.g. --set lr=0.02 (repeatable)')
    .option('--backend <name>', 'TensorFlow.js backend for neural tasks: node | wasm | cpu')
    .option('--dataset <name>', 'data set of tasks that take one')
    .option(
      '--command <command>',
      'compare on a trainable: a process in any language speaking the trainable protocol, e.g. "python3 train.py" (docs/protocol.md)',
    )
    .option('--space <file>', 'search space file (YAML/JSON), required with --command')
    .option('--trainable-timeout <seconds>', 'longest wait for one trainable answer (default 600)')
    .option('--name <name>', 'comparison name (prefix of its id)')
    .option('--bo-batch <n>', 'BO configurations proposed and trained at once', '2')
    .option('-o, --out <file>', 'comparison file (default comparison.json)')
    .option('--resume [id]', 'continue a stopped comparison (default: the newest)')
    .action(async (target: string | undefined, flags: CompareFlags) => {
      const resuming = flags.resume !== undefined && flags.resume !== false;
      const state = resuming
        ? loadState(typeof flags.resume === 'string' ? flags.resume : undefined)
        : { spec: newSpec(target, flags), runs: {} };
      const { spec } = state;
      if (!resuming) {
        await prepareMethods(spec, tasks); // bad input: exit 2 before anything is written
        saveState(state);
      }
      const workers =
        flags.workers !== undefined
          ? parseWholeFlag('workers', flags.workers, { min: 1, max: LIMITS.workers })
          : availableParallelism();
      log(
        `comparison ${spec.id}: ${spec.methods.join(', ')} × seeds ${spec.seeds.join(', ')} (store ${redactPassword(spec.storeUrl)})`,
      );
      await withStore(
        spec.storeUrl,
        async (store) => {
          const outcome = await runComparison(state, store, tasks, workers, log);
          if (outcome === 'stopped') {
            log(`comparison stopped; continue with: pbt compare --resume ${spec.id}`);
            process.exitCode = 130;
            return;
          }
          const json = await summarizeComparison(state, store, tasks);
          mkdirSync(path.dirname(spec.out), { recursive: true });
          writeFileSync(spec.out, `${JSON.stringify(json, null, 2)}\n`);
          const html = spec.out.replace(/\.json$/i, '') + '.html';
          writeFileSync(html, renderComparisonHtml(json));
          for (const [method, m] of Object.entries(json.methods)) log(methodLine(method, m));
          log(`comparison written to ${spec.out} and ${html}`);
        },
        // A new comparison creates its store, as `pbt run` does; a resumed one needs it.
        { mustExist: resuming },
      );
    });
}

function newSpec(target: string | undefined, flags: CompareFlags): ComparisonSpec {
  const methods = parseMethods(flags.methods ?? DEFAULT_METHODS);
  const count = parseWholeFlag('seeds', flags.seeds ?? '3', { min: 1 });
  const first = parseWholeFlag('first-seed', flags.firstSeed ?? '1', { min: 0 });
  const { workers: _workers, name: _name, ...runFlags } = flags;
  const raw = buildRawConfig(target, runFlags);
  delete raw.method;
  delete raw.seed;
  const storeUrl = resolveStoreUrl(
    flags.store ?? (typeof raw.store === 'string' ? raw.store : DEFAULT_STORE),
  );
  raw.store = storeUrl;
  const label = flags.name ?? `compare-${comparedName(raw)}`;
  return {
    id: newExperimentId(label, Date.now()),
    raw,
    methods,
    seeds: Array.from({ length: count }, (_, i) => first + i),
    storeUrl,
    out: path.resolve(flags.out ?? 'comparison.json'),
    boBatch: parseWholeFlag('bo-batch', flags.boBatch ?? '2', { min: 1 }),
    // The user named this task here: the comparison's own workers may run it. --backend is a
    // task option stored with each experiment (buildRawConfig).
    allowTasks: TaskAllowList.builtInsOnly().with(executableRef(raw)).toFlag(),
  };
}

/** What the id names: the task, or the script a trainable runs (`python3 train.py --x` → train). */
function comparedName(raw: Record<string, unknown>): string {
  const trainable = raw.trainable as { command?: unknown } | undefined;
  let ref = 'task';
  if (typeof raw.task === 'string') ref = raw.task;
  else if (typeof trainable?.command === 'string') {
    const [program = 'trainable', ...args] = trainable.command.trim().split(/\s+/);
    // The first argument that looks like a file (train.py, ./tiny.ts), else the program.
    ref = args.find((w) => !w.startsWith('-') && /\.[a-z0-9]+$/i.test(w)) ?? program;
  }
  return (ref.split(/[\\/]/).at(-1) ?? ref).replace(/\.[a-z0-9]+$/i, '');
}

function parseMethods(text: string): CompareMethod[] {
  const methods = text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  if (methods.length === 0) throw new ConfigError('--methods: give at least one method');
  for (const m of methods) {
    if (!(COMPARE_METHODS as readonly string[]).includes(m)) {
      throw new ConfigError(
        `--methods: "${m}" is not a method; use any of ${COMPARE_METHODS.join(', ')}`,
      );
    }
  }
  return [...new Set(methods)] as CompareMethod[];
}
