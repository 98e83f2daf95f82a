import { randomBytes } from 'node:crypto';
import type { ExperimentRecord, Store } from '../store/store.js';
import { withoutPassword } from '../store/store-url.js';
import { initialMembers, type PreparedExperiment } from './prepare-experiment.js';

/** Readable, unique, sortable: `toy-20261127-110729-3fa2`. */
export function newExperimentId(label: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${slug || 'experiment'}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Write a prepared experiment and its members to the store, ready for workers. */
export async function createExperiment(
  store: Store,
  prepared: PreparedExperiment,
  now = Date.now(),
  /** A given id (e.g. derived from a comparison run, so a resume finds it) instead of a new one. */
  id?: string,
): Promise<ExperimentRecord> {
  const { config, task } = prepared;
  const members = initialMembers(prepared);
  const label =
    config.name ?? (config.method === 'pbt' ? task.name : `${task.name}-${config.method}`);
  return store.createExperiment({
    id: id ?? newExperimentId(label, now),
    task: task.name,
    // Never stored: whoever can read the store must not learn the database password.
    config: {
      ...config,
      store: withoutPassword(config.store),
      checkpoints: withoutPassword(config.checkpoints),
      space: prepared.space,
    },
    seed: config.seed,
    members,
    now,
  });
}
