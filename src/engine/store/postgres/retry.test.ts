import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../core/errors.js';
import { isTransientError, withRetry, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, maxElapsedMs: 5_000 };

/** A fake clock: sleeping advances it, so tests take no real time. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    hooks: {
      now: () => t,
      sleep: (ms: number) => {
        sleeps.push(ms);
        t += ms;
        return Promise.resolve();
      },
      random: () => 1,
    },
  };
}

describe('isTransientError', () => {
  it('retries broken connections, server restarts and concurrency aborts', () => {
    const transient = [
      { code: 'ECONNRESET', message: 'read ECONNRESET' },
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '57P03', message: 'the database system is starting up' },
      { code: '08006', message: 'connection failure' },
      { code: '40001', message: 'could not serialize access' },
      { code: '40P01', message: 'deadlock detected' },
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('timeout exceeded when trying to connect'),
    ];
    for (const err of transient) expect(isTransientError(err), JSON.stringify(err)).toBe(true);
  });

  it('does not retry what a retry cannot fix', () => {
    const permanent = [
      { code: '23505', message: 'duplicate key value violates unique constraint' },
      { code: '42P01', message: 'relation "members" does not exist' },
      { code: '28P01', message: 'password authentication failed' },
      { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.example' },
      new LeaseLostError('exp', 1),
      new Error('Cannot use a pool after calling end on the pool'),
      null,
      'text',
    ];
    for (const err of permanent) expect(isTransientError(err), JSON.stringify(err)).toBe(false);
  });
});

describe('withRetry', () => {
  it('backs off exponentially up to the cap and returns the first success', async () => {
    const time = fakeTime();
    let calls = 0;
    const value = await withRetry(
      (attempt) => {
        calls += 1;
        if (attempt < 6)
          return Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' }));
        return Promise.resolve('ok');
      },
      policy,
      time.hooks,
    );
    expect(value).toBe('ok');
    expect(calls).toBe(7);
    expect(time.sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('puts half of each wait under jitter', async () => {
    const time = fakeTime();
    let attempt = 0;
    await withRetry(
      () =>
        attempt++ < 1 ? Promise.reject(new Error('Connection terminated')) : Promise.resolve(1),
      policy,
      { ...time.hooks, random: () => 0 },
    );
    expect(time.sleeps).toEqual([50]);
  });

  it('rethrows a permanent error at once, and a transient one when time is up', async () => {
    const time = fakeTime();
    const permanent = Object.assign(new Error('dup'), { code: '23505' });
    await expect(withRetry(() => Promise.reject(permanent), policy, time.hooks)).rejects.toBe(
      permanent,
    );
    expect(time.sleeps).toEqual([]);

    const down = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    await expect(withRetry(() => Promise.reject(down), policy, time.hooks)).rejects.toBe(down);
    const waited = time.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(policy.maxElapsedMs);
    expect(waited).toBeGreaterThan(policy.maxElapsedMs - policy.maxDelayMs);
  });

  it('retries what alsoRetry accepts and reports each retry', async () => {
    const time = fakeTime();
    const seen: number[] = [];
    let n = 0;
    const out = await withRetry(
      () => (n++ === 0 ? Promise.reject(new Error('mine')) : Promise.resolve(n)),
      policy,
      {
        ...time.hooks,
        alsoRetry: (err) => (err as Error).message === 'mine',
        onRetry: (_err, attempt) => seen.push(attempt),
      },
    );
    expect(out).toBe(2);
    expect(seen).toEqual([1]);
  });
});
