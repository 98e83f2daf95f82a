import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../test/fixtures/postgres-test-database.js';
import { openStore } from '../store/open-store.js';
import { writeSyntheticExperiment } from '../testing/synthetic-experiment.js';
import { DashboardData } from './data-source.js';

const server = await testPostgres();

if (server.url === undefined) {
  console.warn(`dashboard PostgreSQL tests skipped: ${server.skip}`);
  describe('dashboard on PostgreSQL', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = server.url;
  const schema = uniqueSchema('pbt_dash');
  afterAll(() => dropSchema(url, schema));

  describe('dashboard on PostgreSQL', () => {
    it('reads a snapshot and then only what changed, through a read-only store', async () => {
      const writer = await openStore(schemaUrl(url, schema));
      const reader = await openStore(schemaUrl(url, schema), { readOnly: true });
      try {
        await writeSyntheticExperiment(writer, { id: 'pg', members: 4, results: 3, running: true });
        const data = new DashboardData(reader);
        expect((await data.experimentList()).map((r) => r.id)).toEqual(['pg']);
        const { snapshot, feed } = await data.open('pg', 0);
        expect(snapshot.results).toHaveLength(12);
        expect(await feed.poll(1)).toBeNull();
        const lease = await writer.claimMember('pg', { workerId: 'w', leaseMs: 1000, now: 5 });
        if (lease === null) throw new Error('no lease');
        await writer.recordResult(lease, {
          step: 400,
          metrics: { score: 9 },
          hparams: lease.member.hparams,
          checkpoint: 'ck',
          done: false,
          now: 6,
          trainSeconds: 0.1,
        });
        const update = await feed.poll(2);
        expect(update?.results.map((r) => r.score)).toEqual([9]);
        expect(update?.members.map((m) => m.id)).toEqual([lease.memberId]);
        // The reader's sessions are read-only: the server refuses its writes.
        await expect(reader.setExperimentStatus('pg', 'done')).rejects.toThrow(/read-only/);
      } finally {
        await reader.close();
        await writer.close();
      }
    });
  });
}
