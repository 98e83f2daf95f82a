import path from 'node:path';
import type { TrainableConfig } from '../config/trainable-config.js';
import type { SearchSpace } from '../core/space-types.js';
import type { TaskDefinition } from '../tasks/task.js';
import { assertExecutable, launchSpec, trainableName } from './launch-spec.js';
import { TrainableTask } from './trainable-task.js';

/** The task definition of a configured trainable: its space comes from the experiment config. */
export function trainableDefinition(
  config: TrainableConfig,
  space: SearchSpace,
): TaskDefinition<never> {
  const spec = launchSpec(config);
  const name = trainableName(spec);
  return {
    name,
    description: `trainable process \`${spec.argv.join(' ')}\``,
    create: () => {
      assertExecutable(spec);
      return new TrainableTask({ name, space, spec, timeoutSeconds: config.timeoutSeconds });
    },
  };
}

/** Relative working directories are fixed at creation, so every worker runs the same place. */
export function absoluteTrainable(raw: unknown, cwd: string): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const t = raw as Record<string, unknown>;
  return { ...t, cwd: path.resolve(cwd, typeof t.cwd === 'string' ? t.cwd : '.') };
}
