import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/**
 * What one worker process needs to join an experiment. `pbt worker` builds it from its flags;
 * the launcher hands it to the processes it forks as it is (an environment variable holding
 * JSON, checked against the schema below), so nothing is rebuilt into and re-read from flags.
 */
export interface WorkerSpec {
  readonly storeUrl: string;
  /** Experiment id or unique prefix; absent: the newest experiment in the store. */
  readonly experiment?: string | undefined;
  readonly workerName: string;
  /** Where checkpoints are on this machine, if not where the experiment says. */
  readonly checkpoints?: string | undefined;
  /**
   * Task options this worker runs with instead of the stored ones (e.g. the TF.js backend of
   * `pbt resume --backend wasm`); the stored experiment is not changed.
   */
  readonly taskOptions?: Readonly<Record<string, unknown>> | undefined;
  /** What this worker may import (`--allow-tasks` syntax, docs/deployment.md "Trust boundary"). */
  readonly allowTasks?: string | undefined;
}

export const WORKER_SPEC_ENV = 'PBT_WORKER_SPEC';

const workerSpecSchema = z.strictObject({
  storeUrl: z.string().min(1),
  experiment: z.string().min(1).optional(),
  workerName: z.string().min(1),
  checkpoints: z.string().min(1).optional(),
  taskOptions: z.record(z.string(), z.unknown()).optional(),
  allowTasks: z.string().min(1).optional(),
});

export function encodeWorkerSpec(spec: WorkerSpec): string {
  return JSON.stringify(spec);
}

/** The spec a launcher handed this process, or undefined when started by hand. */
export function workerSpecFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerSpec | undefined {
  const text = env[WORKER_SPEC_ENV];
  if (text === undefined || text === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${WORKER_SPEC_ENV} is not JSON: ${(err as Error).message}`);
  }
  const parsed = workerSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `${WORKER_SPEC_ENV} is not a worker spec:`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    );
  }
  return parsed.data;
}
