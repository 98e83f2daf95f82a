/**
 * Which PostgreSQL failures are worth retrying, and how long to keep trying.
 *
 * Retried: the connection broke (server restart, network cut, ECONNRESET), the server refused
 * new connections for a while (starting up, shutting down, too many clients), or the server
 * aborted our transaction to resolve a conflict (deadlock, serialization failure). In every one
 * of these cases the transaction either rolled back or, when the connection broke while COMMIT
 * was in flight, its outcome is unknown; the stores make every write safe to run again (see
 * postgres-store.ts), so a retry never applies a write twice.
 * Not retried: anything the database says about the request itself (constraint violations,
 * syntax, permissions) and every pbt rule (lease lost, invalid decision): retrying cannot help.
 */

/** SQLSTATE codes of failures that a later attempt may not meet. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout while waiting for a lock held by a dead session)
  '57P01', // admin_shutdown: the server is stopping or our backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
]);

/** Node socket errors of a broken or unreachable connection. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Messages `pg` uses for a connection that died, which carry no code. */
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Connection timeout/i,
  /server closed the connection unexpectedly/i,
];

export function isTransientError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // Class 08: connection exceptions.
    if (code.startsWith('08') || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code))
      return true;
  }
  return typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message));
}

export interface RetryPolicy {
  /** First wait; each later one doubles, up to `maxDelayMs`, with random jitter. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up (rethrow the last error) once this much time has passed since the first attempt. */
  readonly maxElapsedMs: number;
}

/** Operations ride out a server restart or failover of a few minutes. */
export const DEFAULT_RETRY: RetryPolicy = {
  initialDelayMs: 50,
  maxDelayMs: 5_000,
  maxElapsedMs: 300_000,
};

export interface RetryHooks {
  /** More failures to retry besides the transient ones (e.g. a lost idempotency race). */
  readonly alsoRetry?: (err: unknown) => boolean;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * Runs `work(attempt)` until it succeeds, fails with an error that is not transient, or the
 * policy's time is up. Waits grow exponentially with "equal jitter" (half fixed, half random), so
 * many workers that lost the server at the same instant do not reconnect in lockstep.
 */
export async function withRetry<T>(
  work: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const random = hooks.random ?? Math.random;
  const sleep = hooks.sleep ?? defaultSleep;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      const retryable = isTransientError(err) || (hooks.alsoRetry?.(err) ?? false);
      const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
      const delay = ceiling / 2 + (random() * ceiling) / 2;
      if (!retryable || now() - started + delay > policy.maxElapsedMs) throw err;
      hooks.onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
