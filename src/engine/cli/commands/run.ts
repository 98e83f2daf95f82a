import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../exit-status.js';
import { parse as parseYaml } from 'yaml';
import {
  assertCheckpointSetting,
  isDatabaseCheckpoints,
} from '../../checkpoints/open-checkpoint-store.js';
import { ConfigError } from '../../core/errors.js';
import { LIMITS } from '../../config/limits.js';
import { TaskAllowList, executableRef } from '../../tasks/allow-list.js';
import { isTaskModulePath } from '../../tasks/registry.js';
import { assertNoPrototypeKeys } from '../../config/prototype-keys.js';
import { parseDecimalFlag, parseWholeFlag } from '../numeric-flag.js';
import {
  passwordOf,
  redactPassword,
  resolveStoreUrl,
  withoutPassword,
} from '../../store/store-url.js';
import { createExperiment, newExperimentId } from '../../setup/create-experiment.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { prepareExperiment } from '../../setup/prepare-experiment.js';
import { DEFAULT_STORE, withStore } from '../context.js';
import { ensureWorkerLogRoot, runWithLocalWorkers } from '../run-experiment.js';
import { writeReport } from './write-report.js';
import { parseTaskOptionSets } from '../task-option-sets.js';
import { applyTrainableFlags, resolveTrainableInFile } from '../trainable-flags.js';

export interface RunFlags {
  config?: string;
  population?: string;
  budget?: string;
  ready?: string;
  method?: string;
  mode?: string;
  seed?: string;
  workers?: string;
  store?: string;
  checkpoints?: string;
  name?: string;
  group?: string;
  lease?: string;
  set?: string[];
  backend?: string;
  baselines?: string;
  dataset?: string;
  command?: string;
  space?: string;
  trainableTimeout?: string;
}

export function registerRun(
  program: Command,
  log: (line: string) => void,
  tasks: TaskRegistry,
): void {
  program
    .command('run')
    .description('create an experiment and run it with local worker processes')
    .argument(
      '[task-or-config]',
      'built-in task name, task module path (.ts/.js), or experiment file (.json/.yaml)',
    )
    .option('-c, --config <file>', 'experiment file (JSON or YAML)')
    .option('-p, --population <n>', 'population size')
    .option('-b, --budget <steps>', 'training steps per member')
    .option('-r, --ready <steps>', 'steps between ready points (exploit/explore)')
    .option(
      '-m, --method <method>',
      'pbt | random | grid | fixed (baselines use the same runtime and budget)',
    )
    .option('--mode <mode>', 'async (default) | sync (generations with a barrier)')
    .option('-s, --seed <n>', 'random seed')
    .option(
      '-w, --workers <n>',
      'local worker processes (default: number of cores; 0 = create only)',
    )
    .option('--store <url>', 'population store: sqlite:<path> (default sqlite:.pbt/pbt.db)')
    .option(
      '--checkpoints <dir|postgres|url>',
      'checkpoint directory (default .pbt/checkpoints), postgres (in the store database) or a postgres:// URL',
    )
    .option('--name <name>', 'experiment name (prefix of its id)')
    .option('--group <group>', 'group label: reports compare experiments of one group')
    .option(
      '--lease <seconds>',
      'worker lease duration; a dead worker’s member is resumed after it',
    )
    .option('--set <key=value...>', 'task option, e.g. --set lr=0.02 (repeatable)')
    .option('--backend <name>', 'TensorFlow.js backend for neural tasks: node | wasm | cpu')
    .option('--dataset <name>', 'data set of tasks that take one (same as --set dataset=<name>)')
    .option(
      '--command <command>',
      'train with a process in any language speaking the trainable protocol, e.g. "python3 train.py" (docs/protocol.md)',
    )
    .option('--space <file>', 'search space file (YAML/JSON), required with --command')
    .option('--trainable-timeout <seconds>', 'longest wait for one trainable answer (default 600)')
    .option(
      '--baselines <methods>',
      'after PBT, run these baselines with the same population and budget, e.g. random,grid,fixed; the report compares them',
    )
    .action(async (target: string | undefined, flags: RunFlags) => {
      const baselines = parseBaselines(flags.baselines);
      const raw = buildRawConfig(target, flags);
      if (baselines.length > 0 && raw.group === undefined)
        raw.group = newExperimentId('compare', Date.now());
      // Validate every run before creating any, so a bad baseline config creates nothing.
      const runs = [await prepareExperiment(raw, tasks)];
      for (const method of baselines) runs.push(await prepareExperiment({ ...raw, method }, tasks));
      const storeUrl = resolveStoreUrl(flags.store ?? runs[0]?.config.store ?? DEFAULT_STORE);
      for (const { config } of runs) {
        assertCheckpointSetting(config.checkpoints, storeUrl);
        if ((config.workers ?? 1) > 0) ensureWorkerLogRoot(config.checkpoints);
      }
      await withStore(
        storeUrl,
        async (store) => {
          const ids: string[] = [];
          for (const prepared of runs) {
            const { config } = prepared;
            const workers = config.workers ?? availableParallelism();
            const experiment = await createExperiment(store, prepared);
            ids.push(experiment.id);
            log(
              `created experiment ${experiment.id} (task ${experiment.task}, method ${config.method}, store ${redactPassword(storeUrl)})`,
            );
            if (workers === 0) {
              log(
                `no local workers; start them anywhere with: pbt worker --store ${withoutPassword(storeUrl)} --experiment ${experiment.id}` +
                  (isTaskModulePath(executableRef(config)) || config.trainable !== undefined
                    ? ` --allow-tasks builtin,${executableRef(config)}`
                    : '') +
                  (passwordOf(storeUrl) === undefined
                    ? ''
                    : ' (the password from PGPASSWORD or ~/.pgpass, or add it to that URL)'),
              );
              continue;
            }
            const outcome = await runWithLocalWorkers(
              store,
              storeUrl,
              experiment.id,
              workers,
              log,
              // --backend is a task option, stored with the experiment: workers read it from there.
              // The user named this task on the command line: the workers may import it.
              { allowTasks: TaskAllowList.builtInsOnly().with(executableRef(config)).toFlag() },
            );
            if (outcome.status !== 'done') {
              process.exitCode = outcome.status === 'stopped' ? EXIT.stopped : EXIT.failure;
              return;
            }
          }
          if (baselines.length > 0 && ids[0] !== undefined) {
            const file = await writeReport(store, ids[0], ids.slice(1), undefined);
            log(`comparison report (PBT vs ${baselines.join(', ')} at the same budget): ${file}`);
          }
        },
        { mustExist: false },
      );
    });
}

const BASELINE_METHODS = ['random', 'grid', 'fixed'] as const;

function parseBaselines(text: string | undefined): string[] {
  if (text === undefined) return [];
  const methods = text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  for (const m of methods) {
    if (!(BASELINE_METHODS as readonly string[]).includes(m)) {
      throw new ConfigError(
        `--baselines: "${m}" is not a baseline; use any of ${BASELINE_METHODS.join(', ')}`,
      );
    }
  }
  return methods;
}

/** `--backend` of resume/worker: a task option this machine's workers use instead of the stored one. */
export function backendOverride(flags: {
  backend?: string;
}): Readonly<Record<string, unknown>> | undefined {
  return flags.backend ? { backend: flags.backend } : undefined;
}

export function buildRawConfig(
  target: string | undefined,
  flags: RunFlags,
): Record<string, unknown> {
  const file = flags.config ?? (target && /\.(json|ya?ml)$/i.test(target) ? target : undefined);
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  if (target && target !== file) raw.task = target;
  applyTrainableFlags(raw, flags);
  if (raw.task === undefined && raw.trainable === undefined) {
    throw new ConfigError(
      'no task given: `pbt run toy`, `pbt run ./my-task.ts`, `pbt run experiment.json` (see `pbt tasks`) or `pbt run --command "python3 train.py" --space space.yaml`',
    );
  }
  const whole = (name: string, v: string | undefined, min: number, max?: number) =>
    v === undefined
      ? undefined
      : parseWholeFlag(name, v, max === undefined ? { min } : { min, max });
  const decimal = (name: string, v: string | undefined, max?: number) =>
    v === undefined
      ? undefined
      : parseDecimalFlag(
          name,
          v,
          max === undefined ? { min: Number.MIN_VALUE } : { min: Number.MIN_VALUE, max },
        );
  const setIf = (key: string, value: unknown): void => {
    if (value !== undefined) raw[key] = value;
  };
  setIf('population', whole('population', flags.population, 1, LIMITS.population));
  if (flags.budget !== undefined)
    raw.budget = {
      ...asObject(raw.budget),
      steps: whole('budget', flags.budget, 1, LIMITS.budgetSteps),
    };
  if (flags.ready !== undefined)
    raw.ready = { ...asObject(raw.ready), every: decimal('ready', flags.ready) };
  setIf('method', flags.method);
  setIf('mode', flags.mode);
  setIf('seed', whole('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER));
  setIf('workers', whole('workers', flags.workers, 0, LIMITS.workers));
  setIf('store', flags.store);
  setIf('checkpoints', flags.checkpoints);
  setIf('name', flags.name);
  setIf('group', flags.group);
  setIf('leaseSeconds', decimal('lease', flags.lease, LIMITS.leaseSeconds));
  const taskOptions = { ...asObject(raw.taskOptions), ...parseTaskOptionSets(flags.set ?? []) };
  if (flags.backend) taskOptions.backend = flags.backend;
  if (flags.dataset) taskOptions.dataset = flags.dataset;
  if (Object.keys(taskOptions).length > 0) raw.taskOptions = taskOptions;
  const checkpoints = typeof raw.checkpoints === 'string' ? raw.checkpoints : '.pbt/checkpoints';
  // A directory is made absolute so workers started elsewhere find it; a database is not a path.
  raw.checkpoints = isDatabaseCheckpoints(checkpoints) ? checkpoints : path.resolve(checkpoints);
  return raw;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read experiment file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `experiment file ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      `experiment file ${file} must contain an object with at least a "task" key`,
    );
  }
  assertNoPrototypeKeys(parsed, `experiment file ${file}`);
  const obj = parsed as Record<string, unknown>;
  // A relative task module path in a file is relative to the file.
  if (typeof obj.task === 'string' && obj.task.startsWith('.'))
    obj.task = path.resolve(path.dirname(file), obj.task);
  resolveTrainableInFile(obj, file);
  return obj;
}

const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
