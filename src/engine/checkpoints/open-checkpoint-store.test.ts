import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { FilesystemCheckpointStore } from './filesystem-checkpoint-store.js';
import {
  assertCheckpointSetting,
  isDatabaseCheckpoints,
  openCheckpointStore,
} from './open-checkpoint-store.js';
import { PostgresCheckpointStore } from './postgres-checkpoint-store.js';

describe('openCheckpointStore', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('opens a directory as files, whatever the store', () => {
    dir = mkdtempSync(join(tmpdir(), 'pbt-open-ckpt-'));
    const store = openCheckpointStore(join(dir, 'ck'), 'postgres://u@h/db');
    expect(store).toBeInstanceOf(FilesystemCheckpointStore);
    expect(isDatabaseCheckpoints(join(dir, 'ck'))).toBe(false);
  });

  it('keeps `postgres` checkpoints in the store’s own database and schema', async () => {
    const store = openCheckpointStore('postgres', 'postgres://u@h/db?schema=team_a');
    expect(store).toBeInstanceOf(PostgresCheckpointStore);
    expect((store as PostgresCheckpointStore).schema).toBe('team_a');
    await store.close?.();
    expect(isDatabaseCheckpoints(' Postgres ')).toBe(true);
  });

  it('opens a postgres:// checkpoint URL as that database', async () => {
    const store = openCheckpointStore('postgresql://u@blobs/db?schema=blobs', 'sqlite:/x.db');
    expect(store).toBeInstanceOf(PostgresCheckpointStore);
    expect((store as PostgresCheckpointStore).schema).toBe('blobs');
    await store.close?.();
  });

  it('refuses `postgres` checkpoints next to a store that is not PostgreSQL', () => {
    expect(() => assertCheckpointSetting('postgres', 'sqlite:/tmp/pbt.db')).toThrow(ConfigError);
    expect(() => openCheckpointStore('postgres', 'sqlite:/tmp/pbt.db')).toThrow(
      /keeps checkpoints in the population store's PostgreSQL database/,
    );
    expect(() => assertCheckpointSetting('postgres', 'postgres://u:pw@h/db')).not.toThrow();
    expect(() => assertCheckpointSetting('/shared/ck', 'sqlite:/tmp/pbt.db')).not.toThrow();
  });
});
