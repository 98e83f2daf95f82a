/**
 * Runs synchronous store work and returns its outcome as a promise, so a thrown error becomes
 * a rejection (as it would from a real asynchronous driver) instead of escaping synchronously.
 */
export function asPromise<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
