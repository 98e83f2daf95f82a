import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { inBurnIn, secondsReady, segmentSteps, validateReadyConfig } from './ready.js';

describe('segmentSteps', () => {
  const every500 = { kind: 'steps', every: 500 } as const;

  it('trains to the next multiple of every, never past the budget', () => {
    expect(segmentSteps(every500, 0, 2000)).toBe(500);
    expect(segmentSteps(every500, 500, 2000)).toBe(500);
    // Resumed mid-segment (e.g. from a checkpoint): realign to the grid of ready points.
    expect(segmentSteps(every500, 730, 2000)).toBe(270);
    expect(segmentSteps(every500, 1800, 2000)).toBe(200);
    expect(segmentSteps(every500, 2000, 2000)).toBe(0);
    expect(segmentSteps(every500, 2500, 2000)).toBe(0);
  });

  it("trains in chunks for kind 'seconds'", () => {
    const sec = { kind: 'seconds', every: 30 } as const;
    expect(segmentSteps(sec, 0, 1000)).toBe(1);
    expect(segmentSteps(sec, 0, 1000, 50)).toBe(50);
    expect(segmentSteps(sec, 980, 1000, 50)).toBe(20);
    expect(() => segmentSteps(sec, 0, 1000, 0)).toThrow(ConfigError);
  });
});

describe('secondsReady', () => {
  it('is true once every seconds have passed, only for kind seconds', () => {
    const sec = { kind: 'seconds', every: 30 } as const;
    expect(secondsReady(sec, 1_000, 30_999)).toBe(false);
    expect(secondsReady(sec, 1_000, 31_000)).toBe(true);
    expect(secondsReady({ kind: 'steps', every: 30 }, 0, 1e9)).toBe(false);
  });
});

describe('burn-in', () => {
  it('holds exploit back until burnIn steps', () => {
    const ready = { kind: 'steps', every: 100, burnIn: 300 } as const;
    expect(inBurnIn(ready, 0)).toBe(true);
    expect(inBurnIn(ready, 299)).toBe(true);
    expect(inBurnIn(ready, 300)).toBe(false);
    expect(inBurnIn({ kind: 'steps', every: 100 }, 0)).toBe(false);
    expect(inBurnIn(undefined, 0)).toBe(false);
  });
});

describe('validateReadyConfig', () => {
  it('rejects bad values with the field name', () => {
    expect(() => validateReadyConfig({ kind: 'steps', every: 0 })).toThrow(
      /every: 0 must be a positive/,
    );
    expect(() => validateReadyConfig({ kind: 'steps', every: 2.5 })).toThrow(
      /whole number of steps/,
    );
    expect(() => validateReadyConfig({ kind: 'seconds', every: 2.5 })).not.toThrow();
    expect(() => validateReadyConfig({ kind: 'steps', every: 10, burnIn: -1 })).toThrow(/burnIn/);
  });
});
