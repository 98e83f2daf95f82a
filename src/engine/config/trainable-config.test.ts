import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config.js';

const space = { lr: { type: 'loguniform', min: 0.001, max: 0.1 } };

describe('the trainable section of an experiment config', () => {
  it('takes a command with defaults for args, env and the timeout', () => {
    const c = parseExperimentConfig({
      trainable: { command: 'python3 train.py' },
      space,
      budget: { steps: 10 },
    });
    expect(c.trainable).toEqual({
      command: 'python3 train.py',
      args: [],
      env: {},
      timeoutSeconds: 600,
    });
    expect(c.task).toBeUndefined();
  });

  it('needs exactly one of task and trainable, and a space with a trainable', () => {
    expect(() =>
      parseExperimentConfig({
        task: 'toy',
        trainable: { command: 'x' },
        space,
        budget: { steps: 1 },
      }),
    ).toThrow(/trainable: give either "task" or "trainable", not both/);
    expect(() => parseExperimentConfig({ budget: { steps: 1 } })).toThrow(
      /task: required: a built-in task name .* or a "trainable" command/,
    );
    expect(() =>
      parseExperimentConfig({ trainable: { command: 'x' }, budget: { steps: 1 } }),
    ).toThrow(/space: a trainable needs its search space here/);
    expect(() =>
      parseExperimentConfig({
        trainable: { command: 'x', timeoutSeconds: 0, shell: true },
        space,
        budget: { steps: 1 },
      }),
    ).toThrow(
      /trainable\.timeoutSeconds[\s\S]*unknown key "shell"|unknown key "shell"[\s\S]*timeoutSeconds/,
    );
  });
});
