import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { createToyTask, trueObjective } from '../../workloads/toy/toy-task.js';
import { evaluateCheckpoint, evaluationContext } from './evaluate-checkpoint.js';
import type { Task, TaskContext } from './task.js';

const ctx: TaskContext = {
  experimentId: 'e',
  memberId: 0,
  seed: 1,
  rng: createRng(1),
  step: 0,
  log: () => undefined,
};
const toy = createToyTask({ lr: 0.1, init: [0.9, 0.9], stepMs: 0, stepWork: 0, stateBytes: 0 });
const h = { h0: 0.5, h1: 0.2 };
const quiet = evaluationContext(0, () => undefined);

describe('evaluateCheckpoint', () => {
  it('scores a saved toy member on any of its splits with the true objective, as evaluate does', async () => {
    const s = await toy.create(h, ctx);
    await toy.train(s, h, 10, ctx);
    const bytes = await toy.save(s);
    const live = await toy.evaluate(s, ctx);
    for (const split of ['validation', 'test']) {
      const m = await evaluateCheckpoint(toy, bytes, h, split, quiet);
      expect(m).toEqual(live);
      expect(m.score).toBe(trueObjective(s.theta));
    }
  });

  it('refuses an unknown split and a task without evaluateCheckpoint, saying what there is', async () => {
    const bytes = await toy.save(await toy.create(h, ctx));
    await expect(evaluateCheckpoint(toy, bytes, h, 'train', quiet)).rejects.toThrow(
      'task "toy" has no split "train"; use one of validation, test',
    );
    const plain: Task = { ...toy, evaluateCheckpoint: undefined, splits: undefined } as never;
    await expect(evaluateCheckpoint(plain, bytes, h, 'test', quiet)).rejects.toThrow(ConfigError);
  });
});
