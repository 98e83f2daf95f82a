/**
 * The worker on a store that records and claims in one write (PostgreSQL's recordAndClaim):
 * with one worker, the same seed must give the same ready points, scores and lineage as on a
 * store that makes the two calls separately (the memory store), and most claims must ride on
 * a record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../test/fixtures/postgres-test-database.js';
import { builtInTaskRegistry } from '../../workloads/index.js';
import { FilesystemCheckpointStore } from '../checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../setup/create-experiment.js';
import { prepareExperiment } from '../setup/prepare-experiment.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { runWorker } from './worker.js';

const server = await testPostgres();

/** Runs one worker to the end; returns what it recorded, in a store-independent form. */
async function run(store: Store, raw: Record<string, unknown>): Promise<unknown> {
  const prepared = await prepareExperiment({ task: 'toy', ...raw }, builtInTaskRegistry());
  const exp = await createExperiment(store, prepared, 1_000);
  const summary = await runWorker({
    store,
    checkpoints: new FilesystemCheckpointStore(mkdtempSync(path.join(tmpdir(), 'pbt-rac-'))),
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: exp.seed,
    pollMs: 1,
    clock: () => 1_000,
  });
  expect(summary.stoppedBy).toBe('finished');
  return {
    results: (await store.listResults(exp.id)).map((r) => [r.memberId, r.step, r.score]),
    lineage: (await store.listLineage(exp.id)).map((e) => [e.memberId, e.step, e.donor]),
    members: (await store.listMembers(exp.id)).map((m) => [m.status, m.step, m.token]),
  };
}

if (server.url === undefined) {
  describe('worker with recordAndClaim', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = server.url;
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(url, s);
  });

  describe('worker with recordAndClaim (PostgreSQL)', () => {
    for (const mode of ['async', 'sync'] as const) {
      it(`${mode}: claims with its records and decides exactly as with separate calls`, async () => {
        const raw = { population: 4, budget: { steps: 40 }, seed: 7, mode };
        const schema = uniqueSchema('pbt_rac');
        schemas.push(schema);
        const postgres = await PostgresStore.open(schemaUrl(url, schema));
        let merged = 0;
        const recordAndClaim = postgres.recordAndClaim.bind(postgres);
        postgres.recordAndClaim = async (...args) => {
          const lease = await recordAndClaim(...args);
          if (lease !== null) merged += 1;
          return lease;
        };
        try {
          const expected = await run(new MemoryStore(), raw);
          expect(await run(postgres, raw)).toEqual(expected);
          // 4 members × 10 ready points: every record but the very last (nothing left to
          // claim) claims the next member — another one, or the recorded one when it is first.
          expect(merged).toBe(39);
        } finally {
          await postgres.close();
        }
      });
    }
  });
}
