import { TaskRegistry, type TaskCatalog } from '../engine/tasks/registry.js';
import type { TaskDefinition } from '../engine/tasks/task.js';

/**
 * The built-in workloads by name. Each is imported only when asked for, so that `pbt run toy`
 * never loads TensorFlow.js or planck.
 */
export const builtInTasks: TaskCatalog = {
  gan: async () => (await import('./gan/gan-task.js')).ganTaskDefinition as TaskDefinition<never>,
  toy: async () => (await import('./toy/toy-task.js')).toyTaskDefinition as TaskDefinition<never>,
  'lunar-lander': async () =>
    (await import('./lunar-lander/lunar-lander-task.js'))
      .lunarLanderTaskDefinition as TaskDefinition<never>,
  'image-classification': async () =>
    (await import('./image-classification/image-classification-task.js'))
      .imageClassificationTaskDefinition as TaskDefinition<never>,
  nmt: async () => (await import('./nmt/nmt-task.js')).nmtTaskDefinition as TaskDefinition<never>,
};

/** A registry that knows the built-in workloads; register your own tasks on it. */
export function builtInTaskRegistry(): TaskRegistry {
  return new TaskRegistry(builtInTasks);
}
