import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { FilesystemCheckpointStore } from '../checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../setup/create-experiment.js';
import { prepareExperiment } from '../setup/prepare-experiment.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Lease, ReadyResult, Store } from '../store/store.js';
import type { Task } from '../tasks/task.js';
import { runWorker, type WorkerOptions } from './worker.js';
import { builtInTaskRegistry } from '../../workloads/index.js';

// Checkpoint writes overlap the next member's cycle; the store must never reference a checkpoint
// whose write has not completed (docs/deployment.md §4).

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A checkpoint store whose writes become durable only `delayMs` after the bytes are on disk (a
 * slow fsync): `durable` holds the keys whose put has resolved, `writing` counts puts in flight.
 */
function slowCheckpoints(
  delayMs: number,
  hooks: {
    onPut?: (n: number) => void;
    beforeDurable?: (key: string, n: number) => Promise<void>;
  } = {},
): CheckpointStore & { durable: Set<string>; writing: number; puts: number } {
  const real = new FilesystemCheckpointStore(mkdtempSync(path.join(tmpdir(), 'pbt-overlap-')));
  const slow = {
    durable: new Set<string>(),
    writing: 0,
    puts: 0,
    get: (key: string) => real.get(key),
    has: (key: string) => real.has(key),
    delete: (key: string) => real.delete(key),
    list: () => real.list(),
    gc: (...args: Parameters<CheckpointStore['gc']>) => real.gc(...args),
    close: () => real.close(),
    put: async (bytes: Uint8Array): Promise<string> => {
      const n = ++slow.puts;
      hooks.onPut?.(n);
      slow.writing++;
      try {
        const key = await real.put(bytes);
        await sleep(delayMs);
        await hooks.beforeDurable?.(key, n);
        slow.durable.add(key);
        return key;
      } finally {
        slow.writing--;
      }
    },
  };
  return slow;
}

/** Keys a record referenced before their write had completed, checked as each record is made. */
function watchRecords(store: Store, durable: ReadonlySet<string>): string[] {
  const early: string[] = [];
  const recordResult = store.recordResult.bind(store);
  store.recordResult = (lease: Lease, result: ReadyResult) => {
    if (result.checkpoint !== null && !durable.has(result.checkpoint)) {
      early.push(`member ${lease.memberId} @${result.step}: ${result.checkpoint}`);
    }
    return recordResult(lease, result);
  };
  return early;
}

async function setUp(raw: Record<string, unknown>, checkpoints: CheckpointStore) {
  const prepared = await prepareExperiment(
    { task: 'toy', initialHparams: [], ...raw },
    builtInTaskRegistry(),
  );
  const store = new MemoryStore();
  const exp = await createExperiment(store, prepared, 1_000);
  const options: WorkerOptions = {
    store,
    checkpoints,
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: exp.seed,
    pollMs: 1,
    // The toy's states are tiny: overlap them too (by default only checkpoints ≥ 256 KiB are).
    overlapMinBytes: 0,
  };
  return { store, id: exp.id, options };
}

/** Every (member, step) recorded exactly once, each member done at the budget. */
async function expectComplete(store: Store, id: string, budget: number): Promise<void> {
  const members = await store.listMembers(id);
  expect(members.every((m) => m.status === 'done' && m.step === budget)).toBe(true);
  const keys = (await store.listResults(id)).map((r) => `${r.memberId}@${r.step}`);
  expect(new Set(keys).size).toBe(keys.length);
}

describe('checkpoint writes overlapping the next member', () => {
  it('records a result only once its checkpoint is durable, while the next member trains meanwhile', async () => {
    const checkpoints = slowCheckpoints(40);
    const { store, id, options } = await setUp(
      { population: 4, budget: { steps: 24 }, ready: { every: 4 }, mode: 'async' },
      checkpoints,
    );
    const early = watchRecords(store, checkpoints.durable);
    const base = options.task as Task<{ theta: [number, number] }>;
    let trainedDuringWrite = 0;
    const task: Task<{ theta: [number, number] }> = {
      ...base,
      train: async (state, h, steps, ctx) => {
        if (checkpoints.writing > 0) trainedDuringWrite++;
        await base.train(state, h, steps, ctx);
      },
    };
    const summary = await runWorker({ ...options, task });

    expect(summary.stoppedBy).toBe('finished');
    expect(early).toEqual([]);
    // The overlap happened: most segments trained while the previous member's write was slow.
    expect(trainedDuringWrite).toBeGreaterThan(10);
    await expectComplete(store, id, 24);
    expect(await store.listResults(id)).toHaveLength(24);
    // The final checkpoints are durable before their members are done.
    for (const m of await store.listMembers(id)) {
      expect(checkpoints.durable.has(m.checkpoint ?? '')).toBe(true);
    }
    // Every donor an exploit copied was durable when copied (it was recorded, so written).
    for (const e of await store.listLineage(id)) {
      expect(checkpoints.durable.has(e.donorCheckpoint)).toBe(true);
    }
  });

  it('a member claimed again after its overlapped write is recorded keeps its state in memory: its checkpoint is never read back', async () => {
    const checkpoints = slowCheckpoints(20);
    let reads = 0;
    const get = checkpoints.get.bind(checkpoints);
    checkpoints.get = (key: string) => {
      reads++;
      return get(key);
    };
    const { store, id, options } = await setUp(
      { method: 'fixed', population: 1, budget: { steps: 12 }, ready: { every: 4 } },
      checkpoints,
    );
    await runWorker(options);
    await expectComplete(store, id, 12);
    expect(checkpoints.puts).toBe(3);
    expect(reads).toBe(0);
  });

  it('synchronous generations: the last write of a generation is recorded before the next generation decides', async () => {
    const checkpoints = slowCheckpoints(30);
    const { store, id, options } = await setUp(
      { population: 3, budget: { steps: 12 }, ready: { every: 4 }, mode: 'sync' },
      checkpoints,
    );
    const early = watchRecords(store, checkpoints.durable);
    const steps: number[] = [];
    await runWorker({ ...options, onReadyPoint: (t) => steps.push(t.step) });
    expect(early).toEqual([]);
    expect(steps.every((s, i) => i === 0 || s >= (steps[i - 1] ?? 0))).toBe(true);
    await expectComplete(store, id, 12);
    expect(await store.listResults(id)).toHaveLength(9);
  });

  it('a write that fails while the next member trains: nothing references it, both members are given back, the worker stops with the cause', async () => {
    const checkpoints = slowCheckpoints(30, {
      beforeDurable: (_key, n) =>
        n === 5
          ? Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))
          : Promise.resolve(),
    });
    const { store, id, options } = await setUp(
      { population: 3, budget: { steps: 24 }, ready: { every: 4 }, mode: 'async' },
      checkpoints,
    );
    const early = watchRecords(store, checkpoints.durable);
    await expect(runWorker(options)).rejects.toThrow(
      /cannot write the checkpoint of member \d: EIO/,
    );
    expect(early).toEqual([]);
    const results = await store.listResults(id);
    expect(results).toHaveLength(4);
    const members = await store.listMembers(id);
    expect(members.every((m) => m.status === 'pending' && m.leaseOwner === null)).toBe(true);
    for (const m of members) {
      if (m.checkpoint !== null) expect(checkpoints.durable.has(m.checkpoint)).toBe(true);
    }
    // Resuming finishes the run with every ready point recorded once.
    expect((await runWorker(options)).stoppedBy).toBe('finished');
    expect(early).toEqual([]);
    await expectComplete(store, id, 24);
    expect(await store.listResults(id)).toHaveLength(18);
  });

  it('a lease lost while the checkpoint is written: the fence refuses the late record, and another worker carries on', async () => {
    let store: Store | null = null;
    let id = '';
    let taken: { lease: Lease; key: string } | null = null;
    let lastTrained = -1;
    let writing = -1;
    // On the 3rd write, another worker takes the member over (its lease looked expired) before
    // the write completes.
    const checkpoints = slowCheckpoints(20, {
      onPut: (n) => {
        if (n === 3) writing = lastTrained;
      },
      beforeDurable: async (key, n) => {
        if (n !== 3 || store === null) return;
        const members = await store.listMembers(id);
        const lease = await store.claimMember(id, {
          workerId: 'intruder',
          leaseMs: 60_000,
          now: Date.now() + 3_600_000,
          exclude: members.filter((m) => m.id !== writing).map((m) => m.id),
        });
        if (lease !== null) taken = { lease, key };
      },
    });
    const setup = await setUp(
      { population: 3, budget: { steps: 16 }, ready: { every: 4 }, mode: 'async' },
      checkpoints,
    );
    store = setup.store;
    id = setup.id;
    const logs: string[] = [];
    let refusedWith: string[] | null = null;
    const base = setup.options.task;
    const summary = await runWorker({
      ...setup.options,
      task: {
        ...base,
        train: (state, h, steps, ctx) => {
          lastTrained = ctx.memberId;
          return base.train(state, h, steps, ctx);
        },
      },
      workerId: 'w',
      log: (m) => {
        logs.push(m);
        const t = taken;
        if (m.includes('lease lost') && t !== null && store !== null) {
          // What the store references right after the refusal, then the intruder gives up.
          const s = store;
          void s.listResults(id).then(async (results) => {
            refusedWith = results
              .filter((r) => r.memberId === t.lease.memberId && r.step > t.lease.member.step)
              .map((r) => r.checkpoint ?? '');
            await s.release(t.lease);
          });
        }
      },
    });
    expect(taken).not.toBeNull();
    expect(logs.some((l) => l.includes('lease lost to another worker while its checkpoint'))).toBe(
      true,
    );
    // No result past the member's last recorded step was made for it by the stale worker.
    expect(refusedWith).toEqual([]);
    expect(summary.stoppedBy).toBe('finished');
    await expectComplete(store, id, 16);
    expect(await store.listResults(id)).toHaveLength(12);
  });
});
