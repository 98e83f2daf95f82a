import { openCheckpointStore } from '../checkpoints/open-checkpoint-store.js';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { PbtError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import { experimentOf, type Experiment } from '../store/experiments.js';
import { redactPassword, withPasswordFrom } from '../store/store-url.js';
import type { Store } from '../store/store.js';

export const DEFAULT_STORE = 'sqlite:.pbt/pbt.db';

/**
 * Open a store, run `fn`, always close it. Every command but `pbt run` needs an existing store
 * (`mustExist`): reading must never create one.
 */
export async function withStore<T>(
  url: string,
  fn: (store: Store) => Promise<T>,
  { mustExist = true }: { mustExist?: boolean } = {},
): Promise<T> {
  // Retries are otherwise silent: a worker riding out a database restart should say so.
  const store = await openStore(url, {
    log: (line) => console.error(redactPassword(line)),
    mustExist,
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The named experiment, or the newest one when no id is given. */
export async function findExperiment(store: Store, id: string | undefined): Promise<Experiment> {
  if (id !== undefined) {
    const exp = await store.getExperiment(id);
    if (exp) return experimentOf(exp);
    const matches = (await store.listExperiments()).filter((e) => e.id.startsWith(id));
    if (matches.length === 1 && matches[0]) return experimentOf(matches[0]);
    throw new PbtError(
      'NOT_FOUND',
      matches.length > 1
        ? `"${id}" matches ${matches.length} experiments (${matches.map((e) => e.id).join(', ')}); give more of the id`
        : `no experiment "${id}" in this store; \`pbt list\` shows the experiments`,
    );
  }
  const [newest] = await store.listExperiments();
  if (!newest)
    throw new PbtError(
      'NOT_FOUND',
      'this store has no experiments yet; start one with `pbt run toy`',
    );
  return experimentOf(newest);
}

/**
 * The checkpoint store an experiment was created with: a directory, `postgres` (the store's own
 * database, reached through `storeUrl`, by default the URL the experiment was created with) or
 * a postgres:// URL. See openCheckpointStore. In a directory, the experiment writes (and collects)
 * only under its own namespace.
 */
export function checkpointsOf(
  experiment: Experiment,
  override?: string,
  storeUrl?: string,
): CheckpointStore {
  const { config } = experiment;
  // A stored checkpoint URL has no password: it borrows the one of this command's --store URL.
  return openCheckpointStore(
    override ?? withPasswordFrom(config.checkpoints, storeUrl),
    storeUrl ?? config.store,
    experiment,
  );
}
