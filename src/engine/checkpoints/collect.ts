import type { Store } from '../store/store.js';
import type { CheckpointStore, GcReport } from './checkpoint-store.js';

/**
 * Delete the checkpoints the store no longer retains (Store.referencedCheckpoints: members'
 * current checkpoints and each experiment's best result), if at least `minAgeMs` old. Safe
 * while workers run: the clock is read before the references, and an exploit's donor
 * checkpoint is referenced by the exploiting member in the transaction that picks the donor.
 */
export async function collectCheckpoints(
  store: Store,
  checkpoints: CheckpointStore,
  minAgeMs: number,
  clock: () => number = Date.now,
): Promise<GcReport> {
  const now = clock();
  const retained = await store.referencedCheckpoints();
  return checkpoints.gc(retained, minAgeMs, now);
}
