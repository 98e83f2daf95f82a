import { afterAll, describe, expect, it } from 'vitest';
import {
  adminQuery,
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../../test/fixtures/postgres-test-database.js';
import { describeStoreConformance } from '../../testing/store-conformance.js';
import { PostgresStore } from './postgres-store.js';
import { migrations } from './migrations.js';

const server = await testPostgres();

if (server.url === undefined) {
  console.warn(`PostgresStore tests skipped: ${server.skip}`);
  describe('PostgresStore', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = server.url;
  // One private schema for this file; each test leaves it empty (deleting rows is much cheaper
  // than migrating a new schema per test), and it is dropped at the end.
  const schema = uniqueSchema('pbt_conf');
  afterAll(() => dropSchema(url, schema));
  describeStoreConformance('PostgresStore', {
    open: () => PostgresStore.open(schemaUrl(url, schema)),
    cleanup: async () => {
      // (The schema exists once some test opened a store.)
      await adminQuery(
        url,
        `DO $$ BEGIN
           IF to_regclass('${schema}.members') IS NOT NULL THEN
             DELETE FROM ${schema}.lineage; DELETE FROM ${schema}.results;
             DELETE FROM ${schema}.writes; DELETE FROM ${schema}.members;
             DELETE FROM ${schema}.experiments;
           END IF;
         END $$`,
      );
    },
  });

  describe('PostgresStore specifics', () => {
    const schemas: string[] = [];
    const fresh = (): string => {
      const s = uniqueSchema('pbt_pg');
      schemas.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of schemas) await dropSchema(url, s);
    });

    it('read-only: reads what a writer stored and the server refuses its writes', async () => {
      const s = fresh();
      const writer = await PostgresStore.open(schemaUrl(url, s));
      const reader = await PostgresStore.open(schemaUrl(url, s), { readOnly: true });
      try {
        await writer.createExperiment({
          id: 'exp',
          task: 'toy',
          config: {},
          seed: 1,
          members: [{ lr: 0.1 }],
          now: 1,
        });
        expect((await reader.listMembers('exp')).map((m) => m.id)).toEqual([0]);
        expect(await reader.listResultsSince('exp', 0)).toEqual([]);
        await expect(reader.setExperimentStatus('exp', 'done')).rejects.toThrow(/read-only/);
        expect((await writer.getExperiment('exp'))?.status).toBe('running');
      } finally {
        await reader.close();
        await writer.close();
      }
    });

    it('migrates once when many processes open a new schema at the same time', async () => {
      const s = fresh();
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresStore.open(schemaUrl(url, s))),
      );
      await Promise.all(stores.map((st) => st.close()));
      const versions = await adminQuery<{ version: number }>(
        url,
        `SELECT version FROM ${s}.schema_version ORDER BY version`,
      );
      expect(versions).toEqual(migrations.map((m) => ({ version: m.version })));
    });

    it('keeps results append-only', async () => {
      const s = fresh();
      const store = await PostgresStore.open(schemaUrl(url, s));
      await store.createExperiment({
        id: 'exp',
        task: 'toy',
        config: {},
        seed: 1,
        members: [{ lr: 0.1 }],
        now: 5,
      });
      const lease = await store.claimMember('exp', { workerId: 'w', leaseMs: 1000, now: 5 });
      if (lease === null) throw new Error('expected a lease');
      await store.recordResult(lease, {
        step: 1,
        metrics: { score: 0.5 },
        hparams: { lr: 0.1 },
        checkpoint: 'ck',
        done: false,
        now: 6,
        trainSeconds: 1,
      });
      await store.close();
      await expect(adminQuery(url, `UPDATE ${s}.results SET score = 1`)).rejects.toThrow(
        /append-only/,
      );
    });

    it('refuses a schema made by a newer pbt', async () => {
      const s = fresh();
      await (await PostgresStore.open(schemaUrl(url, s))).close();
      await adminQuery(
        url,
        `INSERT INTO ${s}.schema_version (version, name) VALUES (99, 'future')`,
      );
      await expect(PostgresStore.open(schemaUrl(url, s))).rejects.toMatchObject({
        code: 'SCHEMA_TOO_NEW',
      });
    });
  });
}
