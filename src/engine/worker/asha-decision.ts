import type { MemberId } from '../core/types.js';
import { ashaVerdict, type AshaSettings, type RungScores } from '../strategies/asha.js';
import type { Lease, MemberRecord, ResultRecord, Store } from '../store/store.js';

/** Thrown inside the decision transaction to leave everything unchanged (ASHA "wait"). */
class Wait extends Error {}

export type AshaOutcome =
  | { readonly kind: 'promoted'; readonly member: MemberRecord }
  | { readonly kind: 'retired' | 'stopped' | 'waiting'; readonly reason: string };

/**
 * ASHA's decision for a member held at a rung, made inside the store's decision transaction
 * (so two workers' verdicts see each other's promotions). A member that must wait is released
 * unchanged (its decision stays due) and is claimed again later.
 */
export async function applyAshaDecision(
  store: Store,
  lease: Lease,
  now: number,
  settings: AshaSettings,
): Promise<AshaOutcome> {
  const scores = rungScores(await store.listResults(lease.experimentId));
  try {
    const applied = await store.applyDecision(lease, now, (self, population) => {
      if (self.lastFailed) {
        return { kind: 'stop', reason: `member ${self.id} failed at step ${self.step}` };
      }
      const verdict = ashaVerdict(self, population, scores, settings);
      if (verdict.kind === 'wait') throw new Wait(verdict.reason);
      return verdict.kind === 'promote' ? { kind: 'continue' } : verdict;
    });
    const d = applied.decision;
    if (d.kind === 'retire') return { kind: 'retired', reason: d.reason };
    if (d.kind === 'stop') return { kind: 'stopped', reason: d.reason };
    return { kind: 'promoted', member: applied.member };
  } catch (err) {
    if (!(err instanceof Wait)) throw err;
    await store.release(lease);
    return { kind: 'waiting', reason: err.message };
  }
}

/** Successful results as member → step → score. Results are append-only, so a stale read only
 * lacks the newest rungs (and the verdict then waits). */
export function rungScores(results: readonly ResultRecord[]): RungScores {
  const out = new Map<MemberId, Map<number, number>>();
  for (const r of results) {
    if (r.score === null) continue;
    let m = out.get(r.memberId);
    if (!m) out.set(r.memberId, (m = new Map<number, number>()));
    m.set(r.step, r.score);
  }
  return out;
}
