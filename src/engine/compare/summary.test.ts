import { describe, expect, it } from 'vitest';
import { methodLine, summarizeMethod, type RunSummary } from './summary.js';

const run = (seed: number, score: number | null): RunSummary => ({
  seed,
  experiments: [`e${seed}`],
  member: score === null ? null : { experiment: `e${seed}`, id: 0 },
  validationScore: score,
  score,
  metrics: null,
  hparams: null,
  totalSteps: 100,
  wallSeconds: 2,
  cpuSeconds: 3,
});

describe('summarizeMethod and methodLine', () => {
  it('averages the seeds that produced a model and says how many did not', () => {
    const m = summarizeMethod([run(1, 0.2), run(2, null), run(3, 0.4)]);
    expect(m.seeds).toEqual([0.2, null, 0.4]);
    expect(m.mean).toBeCloseTo(0.3, 12);
    const line = methodLine('pbt', m);
    expect(line).toContain('mean 0.3000');
    expect(line).toContain('over 2 of 3 seeds (1 without a model: every member failed)');
  });

  it('says only the count when every seed produced a model', () => {
    expect(methodLine('fixed', summarizeMethod([run(1, 0.2), run(2, 0.4)]))).toContain(
      'over 2 seeds,',
    );
  });
});
