import { createRng } from '../../src/engine/core/rng.js';
import type { TaskContext } from '../../src/engine/tasks/task.js';

/**
 * The context for loading and scoring a finished member outside any run (an experiment script's
 * final evaluation): no member of its own, messages to stderr.
 */
export function evaluationContext(): TaskContext {
  return {
    experimentId: 'evaluation',
    memberId: -1,
    seed: 0,
    rng: createRng('evaluation'),
    step: 0,
    log: (m: string): void => void process.stderr.write(`${m}\n`),
  };
}
