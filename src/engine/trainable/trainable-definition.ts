import path from 'node:path';
import type { TrainableConfig } from '../config/trainable-config.js';
import { ConfigError } from '../core/errors.js';
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
    // Options would be silently lost: a trainable takes its own through args or env.
    parseOptions: (raw: unknown): never => {
      if (typeof raw === 'object' && raw !== null && Object.keys(raw).length > 0) {
        throw new ConfigError('invalid config:', [
          `taskOptions (--set/--dataset/--backend): a trainable takes no task options (${Object.keys(raw).join(', ')}); pass them to the program with trainable.args or trainable.env`,
        ]);
      }
      return undefined as never;
    },
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
