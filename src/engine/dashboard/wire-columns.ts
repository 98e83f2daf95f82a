import type { Hparams } from '../core/types.js';
import type { LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';

/**
 * The compact form results travel in (event stream and the report's inlined data): one array
 * per field instead of one object per result, so 100,000 results do not repeat every key,
 * the experiment id and the checkpoint path 100,000 times. Hyperparameters change only at
 * exploits, so each result points into a table of the distinct sets. Ids and times rise
 * almost in step with the rows and are sent as differences from the previous row (short
 * numbers). Pure; used by the server to encode and by the page to decode.
 */
export interface ResultColumns {
  /** Difference from the previous row's id (the first from 0). */
  readonly id: readonly number[];
  readonly member: readonly number[];
  readonly step: readonly number[];
  readonly score: readonly (number | null)[];
  /** Difference from the previous row's time (the first from 0). */
  readonly time: readonly number[];
  readonly trainSeconds: readonly number[];
  /** 1 when the result kept a checkpoint: a schedule skips a failed result without one. */
  readonly checkpoint: readonly (0 | 1)[];
  /** Index into `hparamSets`. */
  readonly hparams: readonly number[];
  readonly hparamSets: readonly Hparams[];
  /** [row, message] for each result that failed with an error. */
  readonly errors: readonly (readonly [number, string])[];
}

/** A member as sent: the experiment id is known from the stream. */
export type WireMember = Omit<MemberRecord, 'experimentId'>;

/** A lineage event as sent: without the experiment id and the donor's checkpoint (a path). */
export type WireLineageEvent = Omit<LineageEvent, 'experimentId' | 'donorCheckpoint'>;

export function encodeResults(rows: readonly ResultRecord[]): ResultColumns {
  const n = rows.length;
  const id = new Array<number>(n);
  const member = new Array<number>(n);
  const step = new Array<number>(n);
  const score = new Array<number | null>(n);
  const time = new Array<number>(n);
  const trainSeconds = new Array<number>(n);
  const checkpoint = new Array<0 | 1>(n);
  const hparams = new Array<number>(n);
  const hparamSets: Hparams[] = [];
  const setIndex = new Map<string, number>();
  // A member's hyperparameters change only when it exploits: compare with its previous result's
  // (cheap, no string built) and look the set up only when they changed.
  const lastSetOf = new Map<number, { object: Hparams; index: number }>();
  const errors: [number, string][] = [];
  let prevId = 0;
  let prevTime = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as ResultRecord;
    id[i] = r.id - prevId;
    prevId = r.id;
    member[i] = r.memberId;
    step[i] = r.step;
    score[i] = r.score;
    time[i] = r.time - prevTime;
    prevTime = r.time;
    trainSeconds[i] = r.trainSeconds;
    checkpoint[i] = r.checkpoint === null ? 0 : 1;
    const last = lastSetOf.get(r.memberId);
    let index: number;
    if (last !== undefined && sameHparams(last.object, r.hparams)) index = last.index;
    else {
      const key = JSON.stringify(r.hparams);
      index = setIndex.get(key) ?? -1;
      if (index < 0) {
        index = hparamSets.push(r.hparams) - 1;
        setIndex.set(key, index);
      }
      lastSetOf.set(r.memberId, { object: r.hparams, index });
    }
    hparams[i] = index;
    if (r.error !== null) errors.push([i, r.error]);
  }
  return { id, member, step, score, time, trainSeconds, checkpoint, hparams, hparamSets, errors };
}

function sameHparams(a: Hparams, b: Hparams): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Back to records, for the pure code shared with the report (buildReportModel, schedules).
 * Metrics are not sent (nothing on the page draws them) and come back null; a kept checkpoint
 * comes back as '' (its path stays on the server).
 */
export function decodeResults(cols: ResultColumns, experimentId: string): ResultRecord[] {
  const n = cols.id.length;
  const errors = new Map(cols.errors.map(([row, message]) => [row, message]));
  const out = new Array<ResultRecord>(n);
  let id = 0;
  let time = 0;
  for (let i = 0; i < n; i++) {
    id += cols.id[i] ?? 0;
    time += cols.time[i] ?? 0;
    out[i] = {
      id,
      experimentId,
      memberId: cols.member[i] ?? 0,
      step: cols.step[i] ?? 0,
      score: cols.score[i] ?? null,
      metrics: null,
      error: errors.get(i) ?? null,
      hparams: cols.hparamSets[cols.hparams[i] ?? -1] ?? {},
      checkpoint: cols.checkpoint[i] === 1 ? '' : null,
      time,
      trainSeconds: cols.trainSeconds[i] ?? 0,
    };
  }
  return out;
}

export function encodeMember(m: MemberRecord): WireMember {
  const { experimentId: _omit, ...rest } = m;
  return rest;
}

export function decodeMember(m: WireMember, experimentId: string): MemberRecord {
  return { ...m, experimentId };
}

export function encodeLineageEvent(e: LineageEvent): WireLineageEvent {
  const { experimentId: _e, donorCheckpoint: _c, ...rest } = e;
  return rest;
}

export function decodeLineageEvent(e: WireLineageEvent, experimentId: string): LineageEvent {
  return { ...e, experimentId, donorCheckpoint: '' };
}
