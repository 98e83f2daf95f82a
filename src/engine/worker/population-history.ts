import type { MemberHistory, MemberId, PopulationHistory } from '../core/types.js';
import type { LineageEvent, ResultRecord } from '../store/store.js';

/** Most recent results read and kept (PB2 fits on at most this many intervals). */
export const HISTORY_LIMIT = 1000;

/**
 * The population history strategies read: the experiment's last `limit` successful evaluations
 * (failed ready points carry no score) and every exploit step, grouped by member.
 */
export function populationHistory(
  results: readonly ResultRecord[],
  lineage: readonly LineageEvent[],
  limit = HISTORY_LIMIT,
): PopulationHistory {
  const scored = results
    .filter((r): r is ResultRecord & { score: number } => r.score !== null)
    .sort((a, b) => a.time - b.time || a.id - b.id)
    .slice(-limit);
  const byMember = new Map<
    MemberId,
    { points: MemberHistory['points'][number][]; exploitSteps: number[] }
  >();
  const entry = (
    id: MemberId,
  ): { points: MemberHistory['points'][number][]; exploitSteps: number[] } => {
    let e = byMember.get(id);
    if (e === undefined) {
      e = { points: [], exploitSteps: [] };
      byMember.set(id, e);
    }
    return e;
  };
  for (const r of scored)
    entry(r.memberId).points.push({ step: r.step, score: r.score, hparams: r.hparams });
  for (const ev of lineage) entry(ev.memberId).exploitSteps.push(ev.step);
  for (const e of byMember.values()) e.points.sort((a, b) => a.step - b.step);
  return byMember;
}
