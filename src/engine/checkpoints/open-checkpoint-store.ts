import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.js';
import { isPostgresUrl, redactPassword } from '../store/postgres/connection.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { FilesystemCheckpointStore } from './filesystem-checkpoint-store.js';
import { PostgresCheckpointStore } from './postgres-checkpoint-store.js';

/** The `checkpoints` value that keeps checkpoints in the population store's own database. */
export const IN_STORE_DATABASE = 'postgres';

/** True when `checkpoints` names a database rather than a directory (so it is not a path). */
export function isDatabaseCheckpoints(spec: string): boolean {
  return spec.trim().toLowerCase() === IN_STORE_DATABASE || isPostgresUrl(spec);
}

/**
 * The checkpoint store an experiment's `checkpoints` setting names:
 * - a directory (the default `.pbt/checkpoints`, or a path every host mounts): files;
 * - `postgres`: the `checkpoints` table in the same PostgreSQL database and schema as the
 *   population store at `storeUrl` (each host reaches it through its own `--store` URL);
 * - a `postgres://…` URL: that database (and `?schema=`), e.g. a separate server for blobs.
 */
export function openCheckpointStore(
  spec: string,
  storeUrl?: string,
  experiment?: ExperimentIdentity,
): CheckpointStore {
  const trimmed = spec.trim();
  if (trimmed.toLowerCase() === IN_STORE_DATABASE) {
    // The store's own schema: every experiment that can reference a key is in this store.
    return new PostgresCheckpointStore(storeDatabase(storeUrl));
  }
  // A separate database may be shared by several stores, whose references no one sees at
  // once: never collect there.
  if (isPostgresUrl(trimmed)) return new PostgresCheckpointStore(trimmed, { collect: false });
  return new FilesystemCheckpointStore(
    spec,
    experiment ? { namespace: checkpointNamespace(experiment) } : {},
  );
}

/** What tells an experiment apart from any other, in this store or another. */
export interface ExperimentIdentity {
  readonly id: string;
  readonly createdAt: number;
  readonly seed: number;
}

/**
 * The directory of an experiment's checkpoints under a shared checkpoint root: its id (made
 * safe for a path) and a hash of id, creation time and seed, so two stores with an experiment
 * of the same name still get two directories. Collection then only ever looks at files of the
 * experiment, whose references its store knows.
 */
export function checkpointNamespace(experiment: ExperimentIdentity): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([experiment.id, experiment.createdAt, experiment.seed]))
    .digest('hex')
    .slice(0, 16);
  const readable = experiment.id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return `${readable}-${hash}`;
}

/** Throws a ConfigError unless `spec` can be opened next to the store at `storeUrl`. */
export function assertCheckpointSetting(spec: string, storeUrl: string): void {
  if (spec.trim().toLowerCase() === IN_STORE_DATABASE) storeDatabase(storeUrl);
}

function storeDatabase(storeUrl: string | undefined): string {
  if (storeUrl === undefined || !isPostgresUrl(storeUrl)) {
    throw new ConfigError(
      `checkpoints "${IN_STORE_DATABASE}" keeps checkpoints in the population store's PostgreSQL ` +
        `database, but the store is ${storeUrl === undefined ? 'not known here' : redactPassword(storeUrl)}: ` +
        'use --store postgres://…, or give the checkpoints a postgres:// URL or a directory',
    );
  }
  return storeUrl;
}
