import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../src/engine/checkpoints/checkpoint-store.js';
import { collectCheckpoints } from '../src/engine/checkpoints/collect.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { openCheckpointStore } from '../src/engine/checkpoints/open-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { PostgresStore } from '../src/engine/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import type { ExperimentRecord, Store } from '../src/engine/store/store.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { runCli, tempDir } from './helpers.js';

const TWO_HOURS_AGO = new Date(Date.now() - 2 * 3_600_000);

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/** What "wait 61 s" (or an hour) does to the files: make every one of them old. */
async function ageAll(dir: string): Promise<void> {
  for (const file of await filesUnder(dir)) await utimes(file, TWO_HOURS_AGO, TWO_HOURS_AGO);
}

describe('checkpoint GC never deletes what another store or experiment references', () => {
  it("two SQLite stores on one checkpoint directory (issue 17 reproduction): the second run keeps the first one's checkpoints", async () => {
    const dir = tempDir();
    const ckpt = path.join(dir, 'ckpt');
    const run = (db: string, population: number): ReturnType<typeof runCli> =>
      runCli(
        [
          'run',
          'toy',
          '--workers',
          '1',
          '--population',
          String(population),
          '--budget',
          '40',
          '--store',
          `sqlite:${path.join(dir, db)}`,
          '--checkpoints',
          ckpt,
        ],
        dir,
      );
    expect((await run('first.db', 6)).code).toBe(0);
    await ageAll(ckpt);
    const second = await run('other.db', 4);
    expect(second.code).toBe(0);

    const first = new SqliteStore(path.join(dir, 'first.db'));
    const [exp] = await first.listExperiments();
    const members = await first.listMembers(exp?.id ?? '');
    const results = await first.listResults(exp?.id ?? '');
    await first.close();
    const files = new FilesystemCheckpointStore(ckpt);
    expect(members).toHaveLength(6);
    for (const m of members) await expect(files.get(m.checkpoint ?? '')).resolves.toBeTruthy();
    const best = results.reduce((a, b) =>
      // The retained best result: highest score, the earliest recorded on a tie.
      (b.score ?? -Infinity) > (a.score ?? -Infinity) || (b.score === a.score && b.id < a.id)
        ? b
        : a,
    );
    await expect(files.get(best.checkpoint ?? '')).resolves.toBeTruthy();
  }, 120_000);
});

const server = await testPostgres();
const pgDescribe = server.url === undefined ? describe.skip : describe;
if (server.url === undefined) console.warn(`PostgreSQL GC tests skipped: ${server.skip}`);

pgDescribe('checkpoint GC with a PostgreSQL store', () => {
  const url = server.url ?? '';
  const schemas: string[] = [];
  const freshStore = async (): Promise<{ store: Store; storeUrl: string }> => {
    const schema = uniqueSchema('pbt_gc');
    schemas.push(schema);
    const storeUrl = schemaUrl(url, schema);
    return { store: await PostgresStore.open(storeUrl), storeUrl };
  };
  afterAll(async () => {
    for (const s of schemas) await dropSchema(url, s);
  });

  async function experiment(
    store: Store,
    raw: Record<string, unknown>,
  ): Promise<{ exp: ExperimentRecord; run: Parameters<typeof runWorker>[0] }> {
    const prepared = await prepareExperiment(
      { task: 'toy', budget: { steps: 40 }, population: 4, ...raw },
      builtInTaskRegistry(),
    );
    const exp = await createExperiment(store, prepared);
    return {
      exp,
      run: {
        store,
        checkpoints: null as unknown as CheckpointStore,
        experimentId: exp.id,
        config: prepared.config,
        task: prepared.task,
        space: prepared.space,
        seed: exp.seed,
        pollMs: 5,
      },
    };
  }

  it("two experiments of one store on one shared directory: finishing one keeps the other's checkpoints, even one written long before it is recorded", async () => {
    const { store, storeUrl } = await freshStore();
    const dir = path.join(tempDir(), 'ckpt');
    const a = await experiment(store, {});
    const ckA = openCheckpointStore(dir, storeUrl, a.exp);
    // Experiment A stops half-way; a worker of A has just written a checkpoint it has not
    // recorded yet (e.g. the database was unreachable for a while).
    const stop = new AbortController();
    let seen = 0;
    await runWorker({
      ...a.run,
      checkpoints: ckA,
      signal: stop.signal,
      onReadyPoint: () => void (++seen === 12 && stop.abort()),
    });
    const inFlight = await ckA.put(new TextEncoder().encode('written, not yet recorded'));
    await ageAll(dir);

    // Experiment B of the same store, same directory, runs to the end and collects as `pbt run`.
    const b = await experiment(store, { seed: 99 });
    const ckB = openCheckpointStore(dir, storeUrl, b.exp);
    expect((await runWorker({ ...b.run, checkpoints: ckB })).stoppedBy).toBe('finished');
    await ageAll(dir);
    const gc = await collectCheckpoints(store, ckB, 60_000);
    expect(gc.deleted).toBeGreaterThan(0); // B's own superseded checkpoints went

    await expect(ckA.get(inFlight)).resolves.toBeTruthy();
    for (const m of await store.listMembers(a.exp.id)) {
      await expect(ckA.get(m.checkpoint ?? '')).resolves.toBeTruthy();
    }
    // A resumes and finishes from its checkpoints.
    await store.setExperimentStatus(a.exp.id, 'running');
    expect((await runWorker({ ...a.run, checkpoints: ckA })).stoppedBy).toBe('finished');
    expect((await store.listResults(a.exp.id)).every((r) => r.error === null)).toBe(true);
    await store.close();
  }, 120_000);
});
