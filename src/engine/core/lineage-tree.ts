import type { LineageEvent, ResultRecord } from '../store/store.js';
import { groupResults, isFailed } from './schedule.js';
import type { Hparams, HparamValue, MemberId } from './types.js';

/**
 * The exploit graph of an experiment, for display (terminal and report). Steps here are member
 * steps (each member's own compute clock); see schedule.ts for model steps.
 */

/** Training of one member between two exploits (or from the start / to its last result). */
export interface LaneSegment {
  readonly memberId: MemberId;
  /** Position in the member's lane: 0 is the member's own initial weights. */
  readonly index: number;
  readonly fromStep: number;
  readonly toStep: number;
  /** Hyperparameters trained with: the exploit's new ones, or the first result's for segment 0. */
  readonly hparams: Hparams | null;
  /** Last successful score inside the segment (null when none). */
  readonly lastScore: number | null;
  /** The exploit that started this segment; null for segment 0. */
  readonly origin: LineageEdge | null;
}

/** Member `memberId`, at its step `step`, copied `donor` as it was at the donor's `donorStep`. */
export interface LineageEdge {
  readonly eventId: number;
  readonly donor: MemberId;
  readonly donorStep: number;
  /** Index of the donor's lane segment whose weights were copied. */
  readonly donorSegment: number;
  readonly memberId: MemberId;
  readonly step: number;
  readonly operations: readonly string[];
  readonly oldHparams: Hparams;
  readonly newHparams: Hparams;
}

export interface MemberLane {
  readonly memberId: MemberId;
  readonly segments: readonly LaneSegment[];
  /** The member's last recorded step (0 before any result). */
  readonly lastStep: number;
  readonly lastScore: number | null;
}

export interface LineageGraph {
  /** One lane per member, in id order. */
  readonly lanes: readonly MemberLane[];
  /** Exploits in the order they happened. */
  readonly edges: readonly LineageEdge[];
  /** Largest member step seen (results or exploits). */
  readonly maxStep: number;
}

/**
 * Lanes and edges from an experiment's results and lineage. `memberIds` adds members that have
 * no results yet (e.g. from `Store.listMembers`). `byMember`: the results already grouped by
 * `groupResults`, when the caller has them (100,000 results take tens of ms to group).
 */
export function buildLineageGraph(
  results: readonly ResultRecord[],
  lineage: readonly LineageEvent[],
  memberIds: readonly MemberId[] = [],
  byMember: ReadonlyMap<MemberId, readonly ResultRecord[]> = groupResults(results),
): LineageGraph {
  const events = [...lineage].sort((a, b) => a.id - b.id);
  const ids = new Set<MemberId>([...memberIds, ...byMember.keys()]);
  for (const ev of events) {
    ids.add(ev.memberId);
    ids.add(ev.donor);
  }

  // Each member's own exploits, in id order (indexed: a big population has thousands).
  const eventsOf = new Map<MemberId, LineageEvent[]>();
  for (const ev of events) {
    const list = eventsOf.get(ev.memberId) ?? [];
    list.push(ev);
    eventsOf.set(ev.memberId, list);
  }
  const edges: LineageEdge[] = events.map((ev) => ({
    eventId: ev.id,
    donor: ev.donor,
    donorStep: ev.donorStep,
    // The donor's exploits that happened before this copy, at or before the copied step, tell
    // which of its segments held the copied weights.
    donorSegment: (eventsOf.get(ev.donor) ?? []).filter(
      (o) => o.id < ev.id && o.step <= ev.donorStep,
    ).length,
    memberId: ev.memberId,
    step: ev.step,
    operations: ev.operations,
    oldHparams: ev.oldHparams,
    newHparams: ev.newHparams,
  }));

  const edgesOf = new Map<MemberId, LineageEdge[]>();
  for (const e of edges) {
    const list = edgesOf.get(e.memberId) ?? [];
    list.push(e);
    edgesOf.set(e.memberId, list);
  }
  let maxStep = 0;
  const lanes: MemberLane[] = [];
  for (const memberId of [...ids].sort((a, b) => a - b)) {
    const rows = byMember.get(memberId) ?? [];
    const own = [...(edgesOf.get(memberId) ?? [])].sort(
      (a, b) => a.step - b.step || a.eventId - b.eventId,
    );
    const lastStep = Math.max(rows.at(-1)?.step ?? 0, own.at(-1)?.step ?? 0);
    maxStep = Math.max(maxStep, lastStep, ...own.map((e) => e.step));
    const segments: LaneSegment[] = [];
    const starts: { from: number; origin: LineageEdge | null }[] = [
      { from: 0, origin: null },
      ...own.map((e) => ({ from: e.step, origin: e })),
    ];
    // Rows are in step order and segments start at non-decreasing steps: each segment's rows
    // (step in (from, to]) are the slice after the previous one's (one pass, not one scan of
    // every row per segment: a 1,000-member tree has 7,000 segments).
    let next = 0;
    starts.forEach((start, index) => {
      const to = starts[index + 1]?.from ?? lastStep;
      while (next < rows.length && (rows[next]?.step ?? 0) <= start.from) next++;
      const begin = next;
      while (next < rows.length && (rows[next]?.step ?? 0) <= to) next++;
      segments.push({
        memberId,
        index,
        fromStep: start.from,
        toStep: to,
        hparams: start.origin?.newHparams ?? rows[begin]?.hparams ?? null,
        lastScore: lastScoreIn(rows, begin, next),
        origin: start.origin,
      });
    });
    lanes.push({ memberId, segments, lastStep, lastScore: lastScoreIn(rows, 0, rows.length) });
  }
  for (const e of edges) maxStep = Math.max(maxStep, e.donorStep);
  return { lanes, edges, maxStep };
}

/** The score of the last successful result among rows[from, to). */
function lastScoreIn(rows: readonly ResultRecord[], from: number, to: number): number | null {
  for (let i = to - 1; i >= from; i--) {
    const r = rows[i];
    if (r !== undefined && !isFailed(r)) return r.score;
  }
  return null;
}

export interface RenderLineageOptions {
  /** Mark this member (e.g. the best) with a star. */
  readonly highlight?: MemberId;
}

/**
 * One line per member on its own step clock, e.g.
 * `m3: 0 ── 400 ⇐ m1@400 (lr*1.2) ── 800   score 0.912`.
 */
export function renderLineageTimeline(
  graph: LineageGraph,
  options: RenderLineageOptions = {},
): string {
  const width = Math.max(0, ...graph.lanes.map((l) => `m${l.memberId}`.length));
  const lines = graph.lanes.map((lane) => {
    const star = lane.memberId === options.highlight ? '★' : ' ';
    let text = `${star}${`m${lane.memberId}`.padEnd(width)}: `;
    lane.segments.forEach((seg, i) => {
      if (i === 0) text += `${seg.fromStep}`;
      else if (seg.origin !== null) text += ` ⇐ ${edgeLabel(seg.origin)}`;
      text += ` ── ${seg.toStep}`;
    });
    if (lane.lastScore !== null) text += `   score ${formatNumber(lane.lastScore)}`;
    return text;
  });
  return lines.join('\n');
}

/**
 * The exploit tree: every member's initial weights are a root; a segment's children are the
 * segments that started by copying it. Read top-down, it is the family tree of the weights.
 * Hyperparameters with the same value everywhere are left out.
 */
export function renderLineageTree(graph: LineageGraph, options: RenderLineageOptions = {}): string {
  const segmentsOf = new Map(graph.lanes.map((l) => [l.memberId, l.segments]));
  const children = new Map<string, LaneSegment[]>();
  for (const lane of graph.lanes) {
    for (const seg of lane.segments) {
      if (seg.origin === null) continue;
      const parentKey = `${seg.origin.donor}:${seg.origin.donorSegment}`;
      const list = children.get(parentKey) ?? [];
      list.push(seg);
      children.set(parentKey, list);
    }
  }
  for (const list of children.values()) {
    list.sort(
      (a, b) =>
        (a.origin?.donorStep ?? 0) - (b.origin?.donorStep ?? 0) ||
        (a.origin?.eventId ?? 0) - (b.origin?.eventId ?? 0),
    );
  }
  const lastIndex = new Map(graph.lanes.map((l) => [l.memberId, l.segments.length - 1]));
  // Hyperparameters that never change only add noise to every line.
  const withHparams = graph.lanes.flatMap((l) =>
    l.segments.flatMap((s) => (s.hparams ? [s.hparams] : [])),
  );
  const constant = new Set(
    withHparams.length < 2
      ? []
      : Object.keys(withHparams[0] ?? {}).filter((k) =>
          withHparams.every((h) => h[k] === withHparams[0]?.[k]),
        ),
  );
  const shown = (h: Hparams): Hparams =>
    Object.fromEntries(Object.entries(h).filter(([k]) => !constant.has(k)));
  const lines: string[] = [];
  const seen = new Set<string>();
  const visit = (seg: LaneSegment, prefix: string, branch: string, childPrefix: string): void => {
    const key = `${seg.memberId}:${seg.index}`;
    if (seen.has(key)) return;
    seen.add(key);
    const isFinal = lastIndex.get(seg.memberId) === seg.index;
    const star = isFinal && seg.memberId === options.highlight ? ' ★' : '';
    let text = `${prefix}${branch}m${seg.memberId} ${seg.fromStep}–${seg.toStep}`;
    if (seg.origin !== null) text += ` ⇐ ${edgeLabel(seg.origin)}`;
    const params = seg.hparams === null ? '' : formatHparams(shown(seg.hparams));
    if (params !== '') text += `  ${params}`;
    if (seg.lastScore !== null) text += `  score ${formatNumber(seg.lastScore)}`;
    lines.push(text + star);
    const kids = children.get(key) ?? [];
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      visit(kid, prefix + childPrefix, last ? '└─ ' : '├─ ', last ? '   ' : '│  ');
    });
  };
  for (const lane of graph.lanes) {
    const root = segmentsOf.get(lane.memberId)?.[0];
    if (root !== undefined) visit(root, '', '', '');
  }
  return lines.join('\n');
}

function edgeLabel(edge: LineageEdge): string {
  const ops = edge.operations.length > 0 ? ` (${edge.operations.join(', ')})` : '';
  return `m${edge.donor}@${edge.donorStep}${ops}`;
}

/** Compact number: 4 significant digits, exponent notation for very small or large values. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    return value
      .toExponential(2)
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  }
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

export function formatHparamValue(value: HparamValue): string {
  return typeof value === 'number' ? formatNumber(value) : value;
}

/** `lr=0.01 momentum=0.9`, keys sorted. */
export function formatHparams(hparams: Hparams): string {
  return Object.keys(hparams)
    .sort()
    .map((k) => `${k}=${formatHparamValue(hparams[k] ?? '')}`)
    .join(' ');
}
