/**
 * Upper bounds on sizes (docs/config.md "Limits"). A worker re-reads the population at every
 * ready point and the launcher keeps one process per worker, so memory grows with both; these
 * bounds keep a typo (`--population 1e9`) a clear error instead of an out-of-memory crash
 * minutes later.
 */
export const LIMITS = {
  population: 10_000,
  workers: 1_024,
  /** Steps per member: beyond 2^53 a step count is no longer exact. */
  budgetSteps: Number.MAX_SAFE_INTEGER,
  /** A day: a lease longer than that only delays recovery from a dead worker. */
  leaseSeconds: 86_400,
  maxFailures: 1_000,
} as const;
