import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** Validate a task's options with its schema; errors name `taskOptions.<field>`. */
export function parseTaskOptions<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  task: string,
): z.output<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    `invalid options for task "${task}":`,
    parsed.error.issues.map(
      (i) =>
        `taskOptions.${i.path.join('.') || '(all)'}: ${i.code === 'unrecognized_keys' ? `unknown option${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}` : i.message}`,
    ),
  );
}
