import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { FilesystemCheckpointStore } from '../checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../setup/create-experiment.js';
import { prepareExperiment, type PreparedExperiment } from '../setup/prepare-experiment.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import type { Task } from '../tasks/task.js';
import { runWorker, type WorkerOptions } from './worker.js';
import { builtInTaskRegistry } from '../../workloads/index.js';

const checkpointsDir = (): string => mkdtempSync(path.join(tmpdir(), 'pbt-worker-'));

async function setUp(
  raw: Record<string, unknown>,
): Promise<{ store: Store; prepared: PreparedExperiment; id: string; options: WorkerOptions }> {
  const prepared = await prepareExperiment({ task: 'toy', ...raw }, builtInTaskRegistry());
  const store = new MemoryStore();
  const exp = await createExperiment(store, prepared, 1_000);
  const options: WorkerOptions = {
    store,
    checkpoints: new FilesystemCheckpointStore(checkpointsDir()),
    experimentId: exp.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: exp.seed,
    pollMs: 1,
  };
  return { store, prepared, id: exp.id, options };
}

describe('runWorker', () => {
  it('runs PBT on the toy problem to the budget, exploiting and recording every ready point', async () => {
    const { store, id, options } = await setUp({ budget: { steps: 40 } });
    const summary = await runWorker(options);
    expect(summary.stoppedBy).toBe('finished');
    const members = await store.listMembers(id);
    expect(members.map((m) => [m.status, m.step])).toEqual([
      ['done', 40],
      ['done', 40],
    ]);
    expect((await store.listResults(id)).length).toBe(20);
    expect(summary.exploits).toBeGreaterThan(0);
    expect((await store.listLineage(id)).length).toBe(summary.exploits);
    expect((await store.getExperiment(id))?.status).toBe('done');
  });

  it('time-multiplexes a population larger than the workers, least-advanced member first', async () => {
    const { store, id, options } = await setUp({
      population: 4,
      budget: { steps: 12 },
      initialHparams: [],
    });
    const order: number[] = [];
    await runWorker({ ...options, onReadyPoint: (t) => order.push(t.memberId) });
    // One worker, 4 members, 3 ready points each: round-robin by step.
    expect(order.slice(0, 4).sort()).toEqual([0, 1, 2, 3]);
    expect(order.slice(4, 8).sort()).toEqual([0, 1, 2, 3]);
    expect((await store.listMembers(id)).every((m) => m.step === 12)).toBe(true);
  });

  it('same seed, same decisions: the lineage is reproducible', async () => {
    const a = await setUp({ budget: { steps: 40 }, seed: 7 });
    const b = await setUp({ budget: { steps: 40 }, seed: 7 });
    await runWorker(a.options);
    await runWorker(b.options);
    const strip = (l: Awaited<ReturnType<Store['listLineage']>>): unknown =>
      l.map((e) => [e.memberId, e.step, e.donor, e.newHparams]);
    expect(strip(await a.store.listLineage(a.id))).toEqual(strip(await b.store.listLineage(b.id)));
  });

  it('recovers a member whose task throws or returns a non-finite score by exploiting a healthy one', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 40 },
      population: 3,
      initialHparams: [],
    });
    const base = options.task as Task<{ theta: [number, number] }>;
    let failures = 0;
    const flaky: Task<{ theta: [number, number] }> = {
      ...base,
      train: async (state, h, steps, ctx) => {
        if (ctx.memberId === 1 && ctx.step === 8 && failures === 0) {
          failures += 1;
          throw new Error('simulated divergence');
        }
        await base.train(state, h, steps, ctx);
      },
      evaluate: async (state, ctx) =>
        ctx.memberId === 2 && ctx.step === 16 ? { score: Number.NaN } : base.evaluate(state, ctx),
    };
    const summary = await runWorker({ ...options, task: flaky });
    expect(summary.stoppedBy).toBe('finished');
    expect(summary.failures).toBe(2);
    const results = await store.listResults(id);
    const failed = results.filter((r) => r.score === null);
    expect(failed.map((r) => [r.memberId, r.step, r.error])).toEqual([
      [1, 12, 'simulated divergence'],
      [2, 16, 'score is not a finite number (NaN)'],
    ]);
    const lineage = await store.listLineage(id);
    for (const f of failed) {
      const recovery = lineage.find((e) => e.memberId === f.memberId && e.step === f.step);
      expect(recovery?.operations[0]).toBe('recovered from a failed ready point');
    }
    expect((await store.listMembers(id)).every((m) => m.status === 'done' && m.step === 40)).toBe(
      true,
    );
  });

  it('a task whose create, load or save throws fails that ready point, not the worker; release runs at the end', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 24 },
      population: 3,
      initialHparams: [],
    });
    const base = options.task as Task<{ theta: [number, number] }>;
    let released = 0;
    const flaky: Task<{ theta: [number, number] }> = {
      ...base,
      create: async (h, ctx) => {
        if (ctx.memberId === 0) throw new Error('process crashed on start');
        return base.create(h, ctx);
      },
      release: () => {
        released += 1;
      },
    };
    let saves = 0;
    const savingFails: Task<{ theta: [number, number] }> = {
      ...flaky,
      save: async (state) => {
        saves += 1;
        if (saves === 3) throw new Error('no checkpoint file written');
        return base.save(state);
      },
    };
    const summary = await runWorker({ ...options, task: savingFails });
    expect(summary.stoppedBy).toBe('finished');
    const errors = (await store.listResults(id)).flatMap((r) => (r.error ? [r.error] : []));
    expect(errors).toContain('cannot create the member: process crashed on start');
    expect(errors).toContain('saving the checkpoint failed: no checkpoint file written');
    expect(released).toBe(1);
    // Member 0 never had a checkpoint to recover from, so it failed after maxFailures; the others finished.
    const members = await store.listMembers(id);
    expect(members.filter((m) => m.status === 'done').length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the lease alive while a slow create/load runs (a trainable starting up), so no other worker takes the member', async () => {
    const { options } = await setUp({
      budget: { steps: 8 },
      population: 2,
      leaseSeconds: 0.3,
      initialHparams: [],
    });
    const base = options.task as Task<{ theta: [number, number] }>;
    const slowStart: Task<{ theta: [number, number] }> = {
      ...base,
      create: async (h, ctx) => {
        await new Promise((r) => setTimeout(r, 1000));
        return base.create(h, ctx);
      },
    };
    const logs: string[] = [];
    // A third worker polls for claimable members the whole time.
    const summaries = await Promise.all(
      ['a', 'b', 'c'].map((w) =>
        runWorker({ ...options, task: slowStart, workerId: w, log: (m) => logs.push(m) }),
      ),
    );
    expect(summaries.every((s) => s.stoppedBy === 'finished')).toBe(true);
    expect(logs.filter((l) => l.includes('lease lost'))).toEqual([]);
    // Without the heartbeat the workers take the member from each other forever.
  }, 20_000);
  it('a corrupted or deleted checkpoint fails one ready point and the member is recovered from a donor', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 40 },
      population: 3,
      initialHparams: [],
    });
    const ckpt = options.checkpoints as FilesystemCheckpointStore;
    // Stop after 6 ready points (2 per member), then damage two members' current checkpoints.
    const controller = new AbortController();
    let seen = 0;
    await runWorker({
      ...options,
      signal: controller.signal,
      onReadyPoint: () => {
        if (++seen === 6) controller.abort();
      },
    });
    const [m0, m1] = await store.listMembers(id);
    const corrupt = m0?.checkpoint ?? '';
    const deleted = m1?.checkpoint ?? '';
    const bytes = await readFile(ckpt.pathOf(corrupt));
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await writeFile(ckpt.pathOf(corrupt), bytes);
    await rm(ckpt.pathOf(deleted));
    await store.setExperimentStatus(id, 'running');

    // A fresh worker holds no state in memory: it must read both checkpoints.
    const summary = await runWorker(options);
    expect(summary.stoppedBy).toBe('finished');
    const failed = (await store.listResults(id)).filter((r) => r.score === null);
    expect(failed.map((r) => r.memberId).sort()).toEqual([0, 1]);
    expect(failed.find((r) => r.memberId === 0)?.error).toMatch(/corrupt/);
    expect(failed.find((r) => r.memberId === 1)?.error).toMatch(/not found/);
    const lineage = await store.listLineage(id);
    for (const f of failed) {
      const recovery = lineage.find((e) => e.memberId === f.memberId && e.step === f.step);
      expect(recovery?.operations[0]).toBe('recovered from a failed ready point');
    }
    expect((await store.listMembers(id)).every((m) => m.status === 'done' && m.step === 40)).toBe(
      true,
    );
  });

  it('a full disk (ENOSPC on checkpoint put) records nothing, releases the member and stops the worker with the cause', async () => {
    const { store, id, options } = await setUp({ budget: { steps: 40 }, population: 2 });
    const real = options.checkpoints;
    let puts = 0;
    // Simulated write error: the 5th put fails as a full file system does.
    const full: CheckpointStore = {
      ...real,
      get: (key) => real.get(key),
      has: (key) => real.has(key),
      delete: (key) => real.delete(key),
      list: () => real.list(),
      gc: (...args) => real.gc(...args),
      put: async (bytes) => {
        if (++puts === 5) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
            code: 'ENOSPC',
          });
        }
        return real.put(bytes);
      },
    };
    await expect(runWorker({ ...options, checkpoints: full })).rejects.toThrow(
      /cannot write the checkpoint of member \d: ENOSPC.*free space.*pbt resume/,
    );
    const results = await store.listResults(id);
    expect(results).toHaveLength(4);
    expect(results.every((r) => r.score !== null)).toBe(true);
    const members = await store.listMembers(id);
    expect(members.every((m) => m.status === 'pending' && m.leaseOwner === null)).toBe(true);
    // Every referenced checkpoint is readable; resuming with space finishes the run.
    for (const m of members)
      if (m.checkpoint) await expect(real.get(m.checkpoint)).resolves.toBeTruthy();
    expect((await runWorker(options)).stoppedBy).toBe('finished');
    const keys = (await store.listResults(id)).map((r) => `${r.memberId}@${r.step}`);
    expect(new Set(keys).size).toBe(20);
    expect(keys).toHaveLength(20);
  });

  it('never copies a member the task flags as diverged, even with the best score', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 24 },
      population: 3,
      initialHparams: [],
      exploit: { kind: 'truncation', fraction: 0.5 },
    });
    const base = options.task as Task<{ theta: [number, number] }>;
    // Member 0 reports an unbeatable score but says its loss exploded at step 8.
    const exploding: Task<{ theta: [number, number] }> = {
      ...base,
      evaluate: async (state, ctx) =>
        ctx.memberId === 0 && ctx.step === 8
          ? { score: 1e9, diverged: 1 }
          : base.evaluate(state, ctx),
    };
    await runWorker({ ...options, task: exploding });
    const results = await store.listResults(id);
    expect(results.find((r) => r.memberId === 0 && r.step === 8)).toMatchObject({
      score: null,
      error: 'the task flagged the model as diverged (score 1000000000)',
    });
    const lineage = await store.listLineage(id);
    expect(lineage.some((e) => e.donor === 0 && e.donorStep === 8)).toBe(false);
    const recovery = lineage.find((e) => e.memberId === 0 && e.step === 8);
    expect(recovery?.operations[0]).toBe('recovered from a failed ready point');
  });

  it('reads the population history for t-test selection and still finishes', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 60 },
      population: 3,
      initialHparams: [],
      exploit: { kind: 'ttest', window: 3 },
      fitness: { kind: 'mean', window: 3 },
    });
    const summary = await runWorker(options);
    expect(summary.stoppedBy).toBe('finished');
    expect(summary.exploits).toBeGreaterThan(0);
    const lineage = await store.listLineage(id);
    expect(lineage.length).toBe(summary.exploits);
    // A copy needs >= 2 evaluations since the last exploit on both sides.
    const results = await store.listResults(id);
    for (const e of lineage) {
      const since = Math.max(
        -1,
        ...lineage.filter((o) => o.memberId === e.memberId && o.step < e.step).map((o) => o.step),
      );
      const own = results.filter(
        (r) => r.memberId === e.memberId && r.step > since && r.step <= e.step,
      );
      expect(own.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('marks a member failed after maxFailures consecutive failures and finishes the others', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 20 },
      population: 2,
      maxFailures: 2,
      method: 'random',
    });
    const base = options.task as Task<{ theta: [number, number] }>;
    const broken: Task<{ theta: [number, number] }> = {
      ...base,
      evaluate: async (state, ctx) =>
        ctx.memberId === 0 ? { score: Number.POSITIVE_INFINITY } : base.evaluate(state, ctx),
    };
    await runWorker({ ...options, task: broken });
    const members = await store.listMembers(id);
    expect(members[0]?.status).toBe('failed');
    expect(members[1]).toMatchObject({ status: 'done', step: 20 });
  });

  it('synchronous mode: no member starts generation g+1 before every member finished generation g', async () => {
    // Two workers, member 0 is slow: asynchronously the others run ahead, synchronously they wait.
    const generationsInOrder = async (mode: 'sync' | 'async'): Promise<boolean> => {
      const { options } = await setUp({
        budget: { steps: 16 },
        population: 3,
        mode,
        initialHparams: [],
      });
      const base = options.task as Task<{ theta: [number, number] }>;
      const slow: Task<{ theta: [number, number] }> = {
        ...base,
        train: async (state, h, steps, ctx) => {
          if (ctx.memberId === 0) await new Promise((r) => setTimeout(r, 30));
          await base.train(state, h, steps, ctx);
        },
      };
      const steps: number[] = [];
      const worker = (name: string): ReturnType<typeof runWorker> =>
        runWorker({
          ...options,
          task: slow,
          workerId: name,
          onReadyPoint: (t) => steps.push(t.step),
        });
      await Promise.all([worker('a'), worker('b')]);
      expect(steps).toHaveLength(12);
      return steps.every((s, i) => i === 0 || s >= (steps[i - 1] ?? 0));
    };
    expect(await generationsInOrder('sync')).toBe(true);
    expect(await generationsInOrder('async')).toBe(false);
  });

  it('stops at a safe point when aborted, and a later worker resumes from the checkpoints', async () => {
    const { store, id, options } = await setUp({ budget: { steps: 40 } });
    const controller = new AbortController();
    let points = 0;
    const first = await runWorker({
      ...options,
      signal: controller.signal,
      onReadyPoint: () => {
        points += 1;
        if (points === 3) controller.abort();
      },
    });
    expect(first.stoppedBy).toBe('signal');
    const mid = await store.listMembers(id);
    expect(mid.every((m) => m.status === 'pending' && m.leaseOwner === null)).toBe(true);
    expect(mid.reduce((s, m) => s + m.step, 0)).toBe(12);
    const second = await runWorker(options);
    expect(second.stoppedBy).toBe('finished');
    expect((await store.listResults(id)).length).toBe(20);
  });

  it('time-based ready points: segments end by the clock, and the budget is still exact', async () => {
    const { store, id, options } = await setUp({
      budget: { steps: 60 },
      ready: { every: 0.05, unit: 'seconds' },
      taskOptions: { stepMs: 5 },
    });
    await runWorker(options);
    const results = await store.listResults(id);
    // ~10 steps of 5 ms per 50 ms segment: more than one ready point per member, none past 60.
    expect(results.length).toBeGreaterThan(4);
    expect(Math.max(...results.map((r) => r.step))).toBe(60);
    expect((await store.listMembers(id)).every((m) => m.step === 60 && m.status === 'done')).toBe(
      true,
    );
  });

  it("uses a task's custom explore hook and records its operations", async () => {
    const { store, id, options } = await setUp({ budget: { steps: 20 } });
    const task: Task = {
      ...options.task,
      explore: (h) => ({ hparams: { ...h, h1: 0.75 }, operations: ['h1 set to 0.75 by the task'] }),
    };
    await runWorker({ ...options, task });
    const lineage = await store.listLineage(id);
    expect(lineage.length).toBeGreaterThan(0);
    for (const e of lineage) {
      expect(e.operations).toEqual(['h1 set to 0.75 by the task']);
      expect(e.newHparams.h1).toBe(0.75);
    }
  });
});
