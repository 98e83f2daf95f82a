import { z } from 'zod';

/**
 * `trainable`: a training process in any language speaking the line protocol
 * (docs/protocol.md) instead of a TypeScript task.
 */
export const trainableConfigSchema = z.strictObject({
  /** The program, split into words like a shell would (no expansion), e.g. "python3 train.py". */
  command: z.string().min(1),
  /** More arguments after the command's own words. */
  args: z.array(z.string()).default([]),
  /** Added to the worker's environment. */
  env: z.record(z.string(), z.string()).default({}),
  /** Working directory (made absolute when the experiment is created). */
  cwd: z.string().min(1).optional(),
  /** Longest wait for one answer (init includes the process start, e.g. `import torch`). */
  timeoutSeconds: z.number().positive().default(600),
});

export type TrainableConfig = z.output<typeof trainableConfigSchema>;
