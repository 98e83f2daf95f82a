import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureCheckpointDisk, type DiskRunReport } from '../bench/lib/checkpoint-disk.js';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { tempDir } from './helpers.js';

const RUN = {
  population: 6,
  budget: 480,
  workers: 3,
  stepMs: 4,
  collectEveryMs: 150,
  collectMinAgeMs: 300,
  sampleMs: 50,
};

/** Disk use follows the population, not the run: flat over time, and O(population) at the end. */
function expectBounded(report: DiskRunReport): void {
  expect(report.membersDone).toBe(RUN.population);
  // A collector never deleted a checkpoint someone was about to load (donor or own state).
  expect(report.failedReadyPoints).toBe(0);
  expect(report.retainedReadable).toBe(true);
  expect(report.checkpointsWritten).toBe((RUN.population * RUN.budget) / 4);
  // Without collection the count would grow linearly to checkpointsWritten (720).
  const half = Math.floor(report.timeline.length / 2);
  const firstHalf = Math.max(...report.timeline.slice(0, half));
  const secondHalf = Math.max(...report.timeline.slice(half));
  expect(report.timeline.length).toBeGreaterThan(20);
  expect(secondHalf).toBeLessThanOrEqual(firstHalf * 1.5 + RUN.population);
  expect(report.peakCheckpoints).toBeLessThan(report.checkpointsWritten / 5);
  // Retention: every member's final checkpoint plus the best result's.
  expect(report.finalCheckpoints).toBeLessThanOrEqual(RUN.population + 1);
}

const server = await testPostgres();

describe('checkpoint disk use with concurrent worker processes collecting while running', () => {
  it('filesystem checkpoints, SQLite store', async () => {
    const dir = tempDir();
    const report = await measureCheckpointDisk({
      ...RUN,
      store: `sqlite:${path.join(dir, 'pbt.db')}`,
      checkpoints: path.join(dir, 'ckpt'),
    });
    expectBounded(report);
  }, 150_000);

  const schemas: string[] = [];
  afterAll(async () => {
    if (server.url !== undefined) for (const s of schemas) await dropSchema(server.url, s);
  });
  it.skipIf(server.url === undefined)(
    'PostgreSQL checkpoint store (in the population store database)',
    async () => {
      const schema = uniqueSchema('pbt_disk');
      schemas.push(schema);
      const report = await measureCheckpointDisk({
        ...RUN,
        store: schemaUrl(server.url ?? '', schema),
        checkpoints: 'postgres',
      });
      expectBounded(report);
    },
    150_000,
  );
});
