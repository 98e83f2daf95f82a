import type { ClaimOptions, Lease, ReadyResult, Store } from './store.js';

/**
 * Records a result that gives the lease back and, where the store can do both in one write
 * (`Store.recordAndClaim`), claims the next member in the same round trip. Null: recorded and
 * nothing claimed yet; the caller claims as usual (with the recorded member preferred).
 */
export async function recordThenClaim(
  store: Store,
  lease: Lease,
  result: ReadyResult,
  claim: ClaimOptions,
): Promise<Lease | null> {
  if (store.recordAndClaim !== undefined) return store.recordAndClaim(lease, result, claim);
  await store.recordResult(lease, result);
  return null;
}
