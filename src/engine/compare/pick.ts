import type { MemberRecord } from '../store/store.js';

/**
 * The member a method itself would pick, by validation only: among members that did not fail
 * and have a score, those that trained furthest (ASHA: its top rung; every other method: the
 * full budget), and of those the best last score. Never the test score.
 */
export function pickByValidation<M extends Pick<MemberRecord, 'step' | 'score' | 'status'>>(
  members: readonly M[],
): M | null {
  let best: M | null = null;
  for (const m of members) {
    if (m.status === 'failed' || m.score === null) continue;
    if (
      best === null ||
      m.step > best.step ||
      (m.step === best.step && m.score > (best.score ?? -Infinity))
    )
      best = m;
  }
  return best;
}
