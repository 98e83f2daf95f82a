import { parseExperimentConfig, type ExperimentConfig } from '../config/experiment-config.js';
import type { ExperimentRecord, Store } from './store.js';

/**
 * An experiment as the engine uses it: the stored record with its config validated into the
 * typed ExperimentConfig. A Store keeps configs as opaque JSON (so third-party stores need no
 * schema, and a store can still list what it holds); the schema is applied here, once per read,
 * and nothing downstream parses or casts the config again.
 */
export interface Experiment extends Omit<ExperimentRecord, 'config'> {
  readonly config: ExperimentConfig;
}

/** Validate a stored record's config (ConfigError naming the experiment when it is not valid). */
export function experimentOf(record: ExperimentRecord): Experiment {
  return {
    ...record,
    config: parseExperimentConfig(record.config, `stored config of experiment ${record.id}`),
  };
}

export async function readExperiment(store: Store, id: string): Promise<Experiment | null> {
  const record = await store.getExperiment(id);
  return record === null ? null : experimentOf(record);
}

/** Newest first, like Store.listExperiments. */
export async function readExperiments(store: Store): Promise<Experiment[]> {
  return (await store.listExperiments()).map(experimentOf);
}
