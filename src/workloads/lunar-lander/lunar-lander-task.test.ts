import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateCheckpoint, evaluationContext } from '../../engine/tasks/evaluate-checkpoint.js';
import { FilesystemCheckpointStore } from '../../engine/checkpoints/filesystem-checkpoint-store.js';
import { createRng } from '../../engine/core/rng.js';
import { createExperiment } from '../../engine/setup/create-experiment.js';
import { prepareExperiment } from '../../engine/setup/prepare-experiment.js';
import { MemoryStore } from '../../engine/store/memory/memory-store.js';
import { runWorker } from '../../engine/worker/worker.js';
import type { TaskContext } from '../../engine/tasks/task.js';
import {
  createLunarLanderTask,
  LUNAR_LANDER_FIXED_HPARAMS,
  lunarLanderTaskDefinition,
} from './lunar-lander-task.js';
import { builtInTaskRegistry } from '../index.js';

const ctx = (step: number, seed = 42): TaskContext => ({
  experimentId: 'test',
  memberId: 0,
  seed,
  rng: createRng(seed),
  step,
  log: () => undefined,
});

const h = LUNAR_LANDER_FIXED_HPARAMS;

// Byte comparison without vitest's element-by-element diffing of 160 kB arrays.
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('lunar-lander task', () => {
  it('is registered with the report’s defaults', async () => {
    const def = await builtInTaskRegistry().resolve('lunar-lander');
    expect(def.name).toBe('lunar-lander');
    expect(def.defaults).toMatchObject({
      population: 20,
      budget: { steps: 2000 },
      ready: { every: 40 },
      exploit: { kind: 'truncation', fraction: 0.2 },
      fixed: h,
    });
  });

  it('validates its options and accepts --backend', () => {
    const parse = (raw: unknown): unknown => lunarLanderTaskDefinition.parseOptions?.(raw);
    expect(parse({ backend: 'wasm' })).toMatchObject({ hidden: [64, 64], evalEpisodes: 10 });
    expect(() => parse({ hiden: [3] })).toThrow(/unknown option hiden/);
    expect(() => parse({ loss: 'l1' })).toThrow(/taskOptions.loss/);
  });

  it('trains one episode per step, evaluates greedily and continues identically after save/load', async () => {
    const options = lunarLanderTaskDefinition.parseOptions?.({
      evalEpisodes: 2,
      maxEpisodeSteps: 100,
      hidden: [32],
    });
    if (!options) throw new Error('lunar-lander parses its options');
    const task = createLunarLanderTask(options);
    const a = await task.create(h, ctx(0));
    await task.train(a, h, 3, ctx(0));
    expect(a.agent.episodes).toBe(3);
    expect(a.agent.epsilon).toBeCloseTo(0.99 ** 3, 12);
    const metrics = await task.evaluate(a, ctx(3));
    expect(Object.keys(metrics).sort()).toEqual(
      [
        'epsilon',
        'landingRate',
        'meanEpisodeSteps',
        'modelEpisodes',
        'score',
        'solvedRate',
        'trainReturn',
      ].sort(),
    );
    expect(Object.values(metrics).every(Number.isFinite)).toBe(true);
    // Evaluation is greedy and updates nothing.
    expect(a.agent.episodes).toBe(3);
    expect((await task.evaluate(a, ctx(3))).score).toBe(metrics.score);

    const b = await task.load(await task.save(a), h, ctx(3));
    await task.train(a, h, 2, ctx(3));
    await task.train(b, h, 2, ctx(3));
    expect(sameBytes(await task.save(b), await task.save(a))).toBe(true);

    // Episodes are keyed by the member's step: one chunk of 2 equals two chunks of 1.
    const c = await task.load(await task.save(b), h, ctx(5));
    const d = await task.load(await task.save(b), h, ctx(5));
    await task.train(c, h, 2, ctx(5));
    await task.train(d, h, 1, ctx(5));
    await task.train(d, h, 1, { ...ctx(5), step: 6 });
    expect(sameBytes(await task.save(d), await task.save(c))).toBe(true);
  });

  it('runs PBT end to end through the worker, exploiting with its own checkpoints', async () => {
    const prepared = await prepareExperiment(
      {
        task: 'lunar-lander',
        taskOptions: { evalEpisodes: 1, maxEpisodeSteps: 100, hidden: [16] },
        population: 4,
        budget: { steps: 6 },
        ready: { every: 2 },
        exploit: { kind: 'truncation', bottom: 1, top: 1 },
      },
      builtInTaskRegistry(),
    );
    const store = new MemoryStore();
    const exp = await createExperiment(store, prepared, 0);
    const summary = await runWorker({
      store,
      checkpoints: new FilesystemCheckpointStore(mkdtempSync(path.join(tmpdir(), 'pbt-ll-'))),
      experimentId: exp.id,
      config: prepared.config,
      task: prepared.task,
      space: prepared.space,
      seed: 1,
      pollMs: 1,
    });
    expect(summary.stoppedBy).toBe('finished');
    expect(summary.failures).toBe(0);
    expect(summary.exploits).toBeGreaterThan(0);
    const members = await store.listMembers(exp.id);
    expect(members.every((m) => m.status === 'done' && m.step === 6)).toBe(true);
  });

  it('evaluateCheckpoint plays held-out test episodes with the saved agent, repeatably', async () => {
    const task = createLunarLanderTask(
      lunarLanderTaskDefinition.parseOptions?.({ hidden: [8], testEpisodes: 3 }) as never,
    );
    const s = await task.create(h, ctx(0));
    await task.train(s, h, 2, ctx(0));
    const bytes = await task.save(s);
    const quiet = evaluationContext(0, () => undefined);
    const a = await evaluateCheckpoint(task, bytes, h, 'test', quiet);
    const b = await evaluateCheckpoint(task, bytes, h, 'test', quiet);
    expect(a.episodes).toBe(3);
    expect(Number.isFinite(a.score)).toBe(true);
    expect(b).toEqual(a);
    await expect(evaluateCheckpoint(task, bytes, h, 'validation', quiet)).rejects.toThrow(
      /no split "validation"/,
    );
  });
});
