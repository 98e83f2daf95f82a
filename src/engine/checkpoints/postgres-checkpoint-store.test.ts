import { afterAll, describe, expect, it } from 'vitest';
import {
  adminQuery,
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../test/fixtures/postgres-test-database.js';
import { describeCheckpointStoreConformance } from '../testing/checkpoint-store-conformance.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { migrations } from '../store/postgres/migrations.js';
import { PostgresCheckpointStore } from './postgres-checkpoint-store.js';

const server = await testPostgres();

if (server.url === undefined) {
  console.warn(`PostgresCheckpointStore tests skipped: ${server.skip}`);
  describe('PostgresCheckpointStore', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = server.url;
  const schemas: string[] = [];
  const fresh = (): string => {
    const s = uniqueSchema('pbt_ckpt');
    schemas.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of schemas) await dropSchema(url, s);
  });

  // One schema for the conformance tests; each test starts with an empty table.
  const shared = fresh();
  describeCheckpointStoreConformance('postgres', async () => {
    const store = new PostgresCheckpointStore(schemaUrl(url, shared));
    await store.list(); // migrates the schema on first use
    await adminQuery(url, `DELETE FROM ${shared}.checkpoints`);
    return {
      store,
      async corrupt(key) {
        // Flip one byte in place, keeping the size.
        await adminQuery(
          url,
          `UPDATE ${shared}.checkpoints
           SET bytes = set_byte(bytes, 100, get_byte(bytes, 100) # 255) WHERE key = $1`,
          [key],
        );
      },
      dispose: () => adminQuery(url, `DELETE FROM ${shared}.checkpoints`).then(() => undefined),
    };
  });

  describe('PostgresCheckpointStore in the database', () => {
    it('shares the schema and its migrations with the population store', async () => {
      const s = fresh();
      const checkpoints = new PostgresCheckpointStore(schemaUrl(url, s));
      const key = await checkpoints.put(new TextEncoder().encode('weights'));
      const store = await PostgresStore.open(schemaUrl(url, s));
      expect(await store.listExperiments()).toEqual([]);
      await store.close();
      const versions = await adminQuery(url, `SELECT version FROM ${s}.schema_version`);
      expect(versions).toEqual(migrations.map((m) => ({ version: m.version })));
      const other = new PostgresCheckpointStore(schemaUrl(url, s));
      expect(new TextDecoder().decode(await other.get(key))).toBe('weights');
      await Promise.all([checkpoints.close(), other.close()]);
    });

    it('repairs damaged bytes on the next put of the same checkpoint', async () => {
      const s = fresh();
      const store = new PostgresCheckpointStore(schemaUrl(url, s));
      const bytes = new Uint8Array(5000).fill(7);
      const key = await store.put(bytes);
      await adminQuery(url, `UPDATE ${s}.checkpoints SET bytes = '\\x00' WHERE key = $1`, [key]);
      await expect(store.get(key)).rejects.toThrow(/corrupt/);
      await store.put(bytes);
      expect((await store.get(key)).byteLength).toBe(5000);
      await store.close();
    });

    it('a put of bytes already stored refreshes the mtime so gc treats the key as new', async () => {
      const s = fresh();
      const store = new PostgresCheckpointStore(schemaUrl(url, s));
      const key = await store.put(new Uint8Array([1, 2, 3]));
      await adminQuery(url, `UPDATE ${s}.checkpoints SET mtime = mtime - 48 * 3600000`);
      await store.put(new Uint8Array([1, 2, 3]));
      const report = await store.gc(new Set(), 3_600_000, Date.now());
      expect(report.deleted).toBe(0);
      expect(await store.has(key)).toBe(true);
      await store.close();
    });
  });
}
