import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from './sleep.js';

describe('sleep', () => {
  it('leaves no abort listener behind, however often a waiting worker polls', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) await sleep(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await waiting;
    await sleep(10_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
