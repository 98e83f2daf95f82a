import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Hparams, Metrics } from '../core/types.js';
import type { EvaluationContext, Task } from './task.js';

/** An evaluation context seeded by `seed`, messages to `log` (default: stderr). */
export function evaluationContext(
  seed = 0,
  log: (message: string) => void = (m) => void process.stderr.write(`${m}\n`),
): EvaluationContext {
  return { seed, rng: createRng(seed, 'evaluate-checkpoint'), log };
}

/**
 * Score a saved member on a named split through the task's own `evaluateCheckpoint`; a task
 * without one, or a split it does not list, is a ConfigError that says what there is.
 */
export async function evaluateCheckpoint(
  task: Task,
  bytes: Uint8Array,
  h: Hparams,
  split: string,
  ctx: EvaluationContext = evaluationContext(),
): Promise<Metrics> {
  if (task.evaluateCheckpoint === undefined) {
    throw new ConfigError(
      `task "${task.name}" cannot evaluate a saved checkpoint on a split (it has no evaluateCheckpoint)`,
    );
  }
  if (task.splits !== undefined && !task.splits.includes(split)) {
    throw new ConfigError(
      `task "${task.name}" has no split "${split}"; use one of ${task.splits.join(', ')}`,
    );
  }
  return task.evaluateCheckpoint(bytes, h, split, ctx);
}
