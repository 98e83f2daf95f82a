import type { LineageEvent, ResultRecord } from '../store/store.js';
import type { Hparams, MemberId, MemberView } from './types.js';

/**
 * Hyperparameter schedules from an experiment's history (pure functions of store records).
 *
 * Two clocks:
 * - **member steps**: a member's own compute (`ResultRecord.step`, `LineageEvent.step`). A member
 *   trains from step 0; after exploiting it keeps its step count but holds the donor's weights.
 * - **model steps**: how many training steps the weights a member holds have actually received,
 *   counted along the chain of donors. When member m exploits donor d at m's step `s` (lineage
 *   event `{ step: s, donor: d, donorStep: t }`), m's weights are d's weights at d's step t, so
 *   m's model has (model steps of d's weights at t) steps; m's next result at step `s + k` adds
 *   k. In asynchronous PBT the donor is often ahead (t > s), so model steps can exceed member
 *   steps.
 *
 * Records are read as the worker writes them: a result at step `s` carries the hyperparameters
 * the member trained with during the segment that ended at `s`; an exploit at step `s` happens
 * after the result at `s` was recorded and before the next training segment. A failed result
 * without a checkpoint (`score === null && checkpoint === null`) trained weights that were thrown
 * away: it adds member steps but no model steps.
 */

/** One evaluated ready point of a member. */
export interface TimelineRow {
  readonly step: number;
  /** Null when the ready point failed. */
  readonly score: number | null;
  readonly hparams: Hparams;
  readonly failed: boolean;
}

/** A member's ready points in step order. */
export function memberTimeline(
  memberId: MemberId,
  results: readonly ResultRecord[],
): TimelineRow[] {
  return ownResults(memberId, results).map((r) => ({
    step: r.step,
    score: r.score,
    hparams: r.hparams,
    failed: isFailed(r),
  }));
}

/** A stretch of training with constant hyperparameters, on the path that produced a model. */
export interface ScheduleSegment {
  /** Model-step interval [fromModelStep, toModelStep) of the final model's training. */
  readonly fromModelStep: number;
  readonly toModelStep: number;
  /** The member that trained these steps. */
  readonly memberId: MemberId;
  /** The same interval on that member's own clock. */
  readonly fromMemberStep: number;
  readonly toMemberStep: number;
  readonly hparams: Hparams;
}

/** An exploit on the path, with the model step at which the weights changed hands. */
export interface ScheduleExploit {
  readonly event: LineageEvent;
  readonly modelStep: number;
}

export interface Schedule {
  readonly memberId: MemberId;
  /** The member step whose model the schedule describes (default: its last result). */
  readonly atStep: number;
  /** Total model steps of that model (the end of the last segment). */
  readonly modelSteps: number;
  /** Contiguous segments in model-time order: each starts where the previous one ended. */
  readonly segments: readonly ScheduleSegment[];
  /** Exploits on the path in model-time order (exploits whose weights were later discarded are not here). */
  readonly exploits: readonly ScheduleExploit[];
}

export interface ScheduleOptions {
  /**
   * Member step of the model to explain. Default: the member's last result. Exploits at exactly
   * this step are not applied: the model is the one that was evaluated at this step.
   */
  readonly atStep?: number;
  /** The results already grouped by `groupResults`, when the caller has them. */
  readonly byMember?: ReadonlyMap<MemberId, readonly ResultRecord[]>;
}

/**
 * The full hyperparameter schedule that produced a member's model, following exploits back
 * through donors (see the module comment for how steps map).
 */
export function scheduleOf(
  memberId: MemberId,
  results: readonly ResultRecord[],
  lineage: readonly LineageEvent[],
  options: ScheduleOptions = {},
): Schedule {
  const byMember = options.byMember ?? groupResults(results);
  const eventsByMember = new Map<MemberId, LineageEvent[]>();
  for (const ev of lineage) {
    const list = eventsByMember.get(ev.memberId) ?? [];
    list.push(ev);
    eventsByMember.set(ev.memberId, list);
  }
  const own = byMember.get(memberId) ?? [];
  const atStep = options.atStep ?? own.at(-1)?.step ?? 0;

  const raw: RawSegment[] = [];
  const exploits: ScheduleExploit[] = [];
  let modelStep = 0;
  let afterExploit = false;
  // Walk back: `bound` only decreases (events strictly before the one being explained), so
  // even inconsistent data cannot loop. Segments come out in model-time order.
  const trace = (member: MemberId, step: number, bound: number, includeAtStep: boolean): void => {
    let last: LineageEvent | undefined;
    for (const ev of eventsByMember.get(member) ?? []) {
      if (ev.id >= bound) continue;
      if (ev.step > step || (ev.step === step && !includeAtStep)) continue;
      if (last === undefined || ev.step > last.step || (ev.step === last.step && ev.id > last.id)) {
        last = ev;
      }
    }
    let prev = 0;
    if (last !== undefined) {
      trace(last.donor, last.donorStep, last.id, true);
      exploits.push({ event: last, modelStep });
      afterExploit = true;
      prev = last.step;
    }
    const from = prev;
    for (const r of byMember.get(member) ?? []) {
      if (r.step <= from || r.step > step) continue;
      if (!(isFailed(r) && r.checkpoint === null) && r.step > prev) {
        raw.push({
          memberId: member,
          fromMemberStep: prev,
          toMemberStep: r.step,
          hparams: r.hparams,
          afterExploit,
        });
        afterExploit = false;
        modelStep += r.step - prev;
      }
      prev = r.step;
    }
  };
  trace(memberId, atStep, Number.POSITIVE_INFINITY, false);

  // Place segments on the model clock, merging neighbours that only differ by a ready point.
  const segments: ScheduleSegment[] = [];
  let at = 0;
  for (const seg of raw) {
    const length = seg.toMemberStep - seg.fromMemberStep;
    const prev = segments.at(-1);
    if (
      prev !== undefined &&
      !seg.afterExploit &&
      prev.memberId === seg.memberId &&
      prev.toMemberStep === seg.fromMemberStep &&
      sameHparams(prev.hparams, seg.hparams)
    ) {
      segments[segments.length - 1] = {
        ...prev,
        toModelStep: prev.toModelStep + length,
        toMemberStep: seg.toMemberStep,
      };
    } else {
      segments.push({
        fromModelStep: at,
        toModelStep: at + length,
        memberId: seg.memberId,
        fromMemberStep: seg.fromMemberStep,
        toMemberStep: seg.toMemberStep,
        hparams: seg.hparams,
      });
    }
    at += length;
  }

  return { memberId, atStep, modelSteps: at, segments, exploits };
}

/** The best member and the score that makes it best. */
export interface BestMember {
  readonly memberId: MemberId;
  readonly score: number;
  /** Step of the member's last successful evaluation. */
  readonly step: number;
}

/**
 * The member with the highest last score (ties: lower id). From member views: `score` (the last
 * successful evaluation), skipping members whose status is 'failed'. From results: each member's
 * last successful result. Non-finite scores never win. Null when no member has a score.
 */
export function bestMember(
  input: readonly MemberView[] | readonly ResultRecord[],
): BestMember | null {
  const candidates: BestMember[] = [];
  if (input.length > 0 && isResultList(input)) {
    for (const [memberId, rows] of groupResults(input)) {
      const last = rows.filter((r) => !isFailed(r)).at(-1);
      if (last !== undefined && last.score !== null) {
        candidates.push({ memberId, score: last.score, step: last.step });
      }
    }
  } else {
    for (const m of input as readonly MemberView[]) {
      if (m.status === 'failed' || m.score === null) continue;
      candidates.push({ memberId: m.id, score: m.score, step: m.step });
    }
  }
  let best: BestMember | null = null;
  for (const c of candidates) {
    if (!Number.isFinite(c.score)) continue;
    if (
      best === null ||
      c.score > best.score ||
      (c.score === best.score && c.memberId < best.memberId)
    ) {
      best = c;
    }
  }
  return best;
}

interface RawSegment {
  readonly memberId: MemberId;
  readonly fromMemberStep: number;
  readonly toMemberStep: number;
  readonly hparams: Hparams;
  /** First segment trained after an exploit: never merged into the one before. */
  readonly afterExploit: boolean;
}

function isResultList(
  input: readonly MemberView[] | readonly ResultRecord[],
): input is readonly ResultRecord[] {
  return input[0] !== undefined && 'memberId' in input[0];
}

/** A result that produced no usable score. */
export function isFailed(r: ResultRecord): boolean {
  return r.score === null || r.error !== null || !Number.isFinite(r.score);
}

function ownResults(memberId: MemberId, results: readonly ResultRecord[]): ResultRecord[] {
  return results.filter((r) => r.memberId === memberId).sort(byStepThenId);
}

/** Results per member, each list in (step, id) order; members in id order. */
export function groupResults(results: readonly ResultRecord[]): Map<MemberId, ResultRecord[]> {
  const map = new Map<MemberId, ResultRecord[]>();
  for (const r of results) {
    const list = map.get(r.memberId) ?? [];
    list.push(r);
    map.set(r.memberId, list);
  }
  for (const list of map.values()) list.sort(byStepThenId);
  return new Map([...map.entries()].sort((a, b) => a[0] - b[0]));
}

function byStepThenId(a: ResultRecord, b: ResultRecord): number {
  return a.step - b.step || a.id - b.id;
}

export function sameHparams(a: Hparams, b: Hparams): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
