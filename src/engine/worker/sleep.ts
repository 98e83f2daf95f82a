/**
 * Wait `ms`, or less if `signal` aborts. The abort listener is removed when the timer fires:
 * a worker polls every 200 ms while it waits for a member, and a listener left behind per call
 * grew by ~18,000 an hour (MaxListenersExceededWarning).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
