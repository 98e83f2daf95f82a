import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerLogDir } from './run-experiment.js';

describe('workerLogDir', () => {
  it('puts logs beside a checkpoint directory', () => {
    expect(workerLogDir('runs/a/checkpoints', 'exp-1')).toBe(path.join('runs/a', 'logs', 'exp-1'));
  });

  it('uses .pbt/ when checkpoints live in the database', () => {
    expect(workerLogDir('postgres', 'exp-1')).toBe(path.join('.pbt', 'logs', 'exp-1'));
  });
});
