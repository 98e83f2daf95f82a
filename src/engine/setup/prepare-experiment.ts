import path from 'node:path';
import {
  mergeConfig,
  parseExperimentConfig,
  type ExperimentConfig,
} from '../config/experiment-config.js';
import { ConfigError } from '../core/errors.js';
import { assertNoPrototypeKeys } from '../config/prototype-keys.js';
import { createRng } from '../core/rng.js';
import { validateHparams, validateSpace } from '../core/space.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Hparams } from '../core/types.js';
import { validateExploitConfig } from '../strategies/exploit.js';
import { validateExploreConfig } from '../strategies/explore.js';
import { gridSize, initialPopulation } from '../strategies/initial-population.js';
import {
  ashaConfigs,
  ashaCost,
  ashaRungs,
  defaultMinSteps,
  type AshaSettings,
} from '../strategies/asha.js';
import { isTaskModulePath, type TaskRegistry } from '../tasks/registry.js';
import type { Task, TaskDefinition } from '../tasks/task.js';
import { assertTask } from '../tasks/validate-task.js';
import { absoluteTrainable, trainableDefinition } from '../trainable/trainable-definition.js';

/** A validated config with its task built: what both `pbt run` and every worker need. */
export interface PreparedExperiment {
  readonly config: ExperimentConfig;
  readonly definition: TaskDefinition<never>;
  readonly task: Task;
  readonly space: SearchSpace;
}

/**
 * Merge the task's defaults under the user's config, validate everything (config, task options,
 * search space) before anything is written, and build the task. Module paths are made absolute
 * so that workers started elsewhere load the same file.
 */
export async function prepareExperiment(
  raw: Record<string, unknown>,
  tasks: TaskRegistry,
  cwd = process.cwd(),
): Promise<PreparedExperiment> {
  assertNoPrototypeKeys(raw, 'config');
  if (raw.trainable !== undefined) {
    const config = parseExperimentConfig({
      ...raw,
      trainable: absoluteTrainable(raw.trainable, cwd),
    });
    return buildTask(config, await definitionOf(config, tasks));
  }
  const taskRef = raw.task;
  if (typeof taskRef !== 'string' || taskRef.length === 0) {
    throw new ConfigError('invalid config:', [
      'task: required: a built-in task name (see `pbt tasks`) or a module path',
    ]);
  }
  const definition = await tasks.resolve(taskRef, cwd);
  const merged = mergeConfig(definition.defaults ?? {}, raw);
  if (isTaskModulePath(taskRef)) merged.task = path.resolve(cwd, taskRef);
  const config = parseExperimentConfig(merged);
  return buildTask(config, definition);
}

/**
 * Rebuild the task of a stored config (validated when read: src/engine/store/experiments.ts),
 * e.g. in a worker process. `taskOptions` override stored ones for this process only (a
 * worker's --backend).
 */
export async function prepareStoredExperiment(
  config: ExperimentConfig,
  tasks: TaskRegistry,
  taskOptions: Readonly<Record<string, unknown>> = {},
): Promise<PreparedExperiment> {
  return buildTask(
    { ...config, taskOptions: { ...config.taskOptions, ...taskOptions } },
    await definitionOf(config, tasks),
  );
}

/** A trainable process, else a task the registry resolves (the schema ensures one of the two). */
function definitionOf(
  config: ExperimentConfig,
  tasks: TaskRegistry,
): TaskDefinition<never> | Promise<TaskDefinition<never>> {
  if (config.trainable) return trainableDefinition(config.trainable, config.space ?? {});
  return tasks.resolve(config.task ?? '');
}

async function buildTask(
  config: ExperimentConfig,
  definition: TaskDefinition<never>,
): Promise<PreparedExperiment> {
  const options = definition.parseOptions
    ? definition.parseOptions(config.taskOptions)
    : (config.taskOptions as never);
  const task: unknown = await definition.create(options);
  assertTask(task, `"${definition.name}"`);
  const space: SearchSpace = { ...task.space, ...(config.space ?? {}) };
  validateSpace(space);
  for (const key of Object.keys(config.space ?? {})) {
    if (!(key in task.space)) {
      throw new ConfigError('invalid config:', [
        `space.${key}: the task "${task.name}" has no hyperparameter "${key}"; it has ${Object.keys(task.space).join(', ')}`,
      ]);
    }
  }
  validateExploitConfig(config.exploit);
  validateExploreConfig(config.explore, space);
  return { config: equalBudgetAsha(equalBudgetGrid(config, space)), definition, task, space };
}

/**
 * ASHA gets the same total budget as the population would spend (population × budget steps):
 * as many configurations as the exact rung cost allows. The rung settings are written out so
 * every worker computes the same rungs.
 */
function equalBudgetAsha(config: ExperimentConfig): ExperimentConfig {
  if (config.method === 'asha') {
    const eta = config.asha?.eta ?? 3;
    const total = config.population * config.budget.steps;
    const minSteps = config.asha?.minSteps ?? defaultMinSteps(config.budget.steps, eta, total);
    const settings = { eta, rungs: ashaRungs(minSteps, config.budget.steps, eta) };
    const population = ashaConfigs(total, settings);
    return { ...config, population, asha: { eta, minSteps } };
  }
  if (config.method === 'bo') return { ...config, population: config.initialHparams?.length ?? 0 };
  if (config.method === 'replay') return { ...config, population: 1 };
  return config;
}

/** ASHA's rungs for a prepared (or stored) config. */
export function ashaSettingsOf(config: ExperimentConfig): AshaSettings {
  const eta = config.asha?.eta ?? 3;
  const minSteps =
    config.asha?.minSteps ??
    defaultMinSteps(config.budget.steps, eta, config.population * config.budget.steps);
  return { eta, rungs: ashaRungs(minSteps, config.budget.steps, eta) };
}

/** A run's exact total steps when it is not population × budget (ASHA), else undefined. */
export function plannedStepsOf(config: ExperimentConfig): number | undefined {
  return config.method === 'asha' ? ashaCost(config.population, ashaSettingsOf(config)) : undefined;
}

/**
 * A grid has a whole number of points per parameter, often fewer than the population: its
 * members then get proportionally more steps, so the baseline spends the same total budget.
 */
function equalBudgetGrid(config: ExperimentConfig, space: SearchSpace): ExperimentConfig {
  if (config.method !== 'grid') return config;
  const size = gridSize(space, config.population);
  if (size >= config.population) return config;
  const steps = Math.floor((config.budget.steps * config.population) / size);
  return { ...config, population: size, budget: { steps } };
}

/** Starting hyperparameters of every member for the config's method. */
export function initialMembers(prepared: PreparedExperiment): Hparams[] {
  const { config, space } = prepared;
  const rng = createRng(config.seed, 'init');
  let members: Hparams[];
  if (config.method === 'fixed') {
    if (!config.fixed) {
      throw new ConfigError('invalid config:', [
        'fixed: method "fixed" needs the hyperparameters to use, e.g. "fixed": { "lr": 0.001 }',
      ]);
    }
    members = initialPopulation(space, config.population, 'fixed', rng, config.fixed);
  } else if (config.method === 'replay') {
    members = [config.schedule?.[0]?.hparams ?? {}];
  } else if (config.method === 'bo') {
    members = [...(config.initialHparams ?? [])];
  } else if (config.method === 'grid') {
    members = initialPopulation(space, config.population, 'grid', rng);
  } else {
    // Random search and PBT sample from the prior; PBT may seed its first members explicitly.
    members = initialPopulation(space, config.population, 'random', rng);
    if (config.method === 'pbt') (config.initialHparams ?? []).forEach((h, i) => (members[i] = h));
  }
  members.forEach((h, i) => {
    try {
      validateHparams(space, h);
    } catch (err) {
      throw new ConfigError(
        `member ${i}'s starting hyperparameters are invalid: ${(err as Error).message}`,
      );
    }
  });
  return members;
}
