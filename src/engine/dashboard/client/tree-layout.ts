import { stratify } from 'd3-hierarchy';
import type { LaneSegment, LineageEdge, LineageGraph } from '../../core/lineage-tree.js';

/**
 * Where each shape of the exploit tree goes, and which shape a point falls on. Every stretch of
 * training (a lane segment) is a row; a segment that began by copying a donor hangs under the
 * donor's segment it copied (d3-hierarchy's stratify), rows in depth-first order, so every
 * family of exploits is a contiguous block; x is the member's step. Pure: no DOM, so the canvas
 * drawing (tree.ts) and its hit-testing share one geometry that tests can check in Node.
 */

/** One stretch of training, drawn as a bar on its own row. */
export interface TreeRow {
  readonly key: string;
  readonly segment: LaneSegment;
  /** Centre line of the row. */
  readonly y: number;
  readonly x0: number;
  readonly x1: number;
  /** Height of the bar. */
  readonly thick: number;
  /** On the selected member's ancestry. */
  readonly on: boolean;
  /** Another member is selected: drawn faint. */
  readonly dim: boolean;
}

/** An exploit: a curve from the donor's row (at the copied step) to the copy's row, and a dot. */
export interface TreeExploit {
  readonly edge: LineageEdge;
  /** Index of the row the copy starts (its dot sits at its left end). */
  readonly row: number;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  readonly on: boolean;
  readonly dim: boolean;
}

export interface TreeLayout {
  readonly width: number;
  readonly height: number;
  readonly rowH: number;
  /** Left margin: member labels go right-aligned in it. */
  readonly left: number;
  /** Member labels are drawn only when rows are tall enough to read them. */
  readonly labels: boolean;
  readonly dotRadius: number;
  readonly rows: readonly TreeRow[];
  /** Indexed like `rows`: the exploit that started each row's segment, if any. */
  readonly exploitOfRow: readonly (TreeExploit | null)[];
  readonly exploits: readonly TreeExploit[];
  readonly ticks: readonly { readonly x: number; readonly step: number }[];
}

export type TreeHit =
  | { readonly kind: 'segment'; readonly row: number }
  | { readonly kind: 'exploit'; readonly exploit: TreeExploit };

const TOP = 20;
const BOTTOM = 20;
/** Canvas backing stores fail above ~32,767 px a side; rows shrink below 1.5 px before that. */
const MAX_TREE_HEIGHT = 30_000;

interface Node {
  readonly id: string;
  readonly parent: string | null;
  readonly segment: LaneSegment | null;
}

export const segmentKey = (memberId: number, index: number): string => `${memberId}:${index}`;

export function layoutTree(
  graph: LineageGraph,
  selected: number | null,
  width: number,
): TreeLayout {
  const nodes: Node[] = [{ id: 'root', parent: null, segment: null }];
  const known = new Set<string>();
  for (const lane of graph.lanes)
    for (const seg of lane.segments) known.add(segmentKey(seg.memberId, seg.index));
  for (const lane of graph.lanes) {
    for (const seg of lane.segments) {
      const o = seg.origin;
      const parent = o !== null ? segmentKey(o.donor, o.donorSegment) : 'root';
      nodes.push({
        id: segmentKey(seg.memberId, seg.index),
        parent: known.has(parent) ? parent : 'root',
        segment: seg,
      });
    }
  }
  const root = stratify<Node>()
    .id((d) => d.id)
    .parentId((d) => d.parent)(nodes);
  root.sort(
    (a, b) =>
      (a.data.segment?.fromStep ?? 0) - (b.data.segment?.fromStep ?? 0) ||
      (a.data.segment?.memberId ?? 0) - (b.data.segment?.memberId ?? 0),
  );
  const ordered: { segment: LaneSegment; parentKey: string | null }[] = [];
  root.eachBefore((n) => {
    const seg = n.data.segment;
    if (seg === null) return;
    const parent = n.parent?.data.segment;
    ordered.push({
      segment: seg,
      parentKey: parent ? segmentKey(parent.memberId, parent.index) : null,
    });
  });

  // The selected member's ancestry: its last segment and every segment its weights came from.
  const parentOf = new Map(
    ordered.map((o) => [segmentKey(o.segment.memberId, o.segment.index), o.parentKey]),
  );
  const ancestry = new Set<string>();
  if (selected !== null) {
    const last = graph.lanes.find((l) => l.memberId === selected)?.segments.at(-1);
    let key: string | null | undefined = last ? segmentKey(last.memberId, last.index) : null;
    while (key !== null && key !== undefined && !ancestry.has(key)) {
      ancestry.add(key);
      key = parentOf.get(key);
    }
  }

  const count = Math.max(1, ordered.length);
  const rowH = Math.min(Math.max(1.5, Math.min(16, 900 / count)), MAX_TREE_HEIGHT / count);
  const height = Math.round(count * rowH + TOP + BOTTOM);
  const left = 48;
  const right = 16;
  const maxStep = Math.max(1, graph.maxStep);
  const xOf = (step: number): number => left + (step / maxStep) * (width - left - right);

  const rows: TreeRow[] = [];
  const rowOf = new Map<string, number>();
  for (const { segment: seg } of ordered) {
    const key = segmentKey(seg.memberId, seg.index);
    const on = ancestry.has(key);
    const thick = on ? Math.max(3, rowH * 0.6) : Math.max(1.5, rowH * 0.45);
    const x0 = xOf(seg.fromStep);
    rowOf.set(key, rows.length);
    rows.push({
      key,
      segment: seg,
      y: TOP + rows.length * rowH + rowH / 2,
      x0,
      x1: Math.max(xOf(seg.toStep), x0 + 2),
      thick,
      on,
      dim: selected !== null && !on,
    });
  }
  const exploits: TreeExploit[] = [];
  const exploitOfRow: (TreeExploit | null)[] = rows.map(() => null);
  ordered.forEach(({ segment: seg, parentKey }, i) => {
    const o = seg.origin;
    const row = rows[i];
    const parentRow = parentKey === null ? undefined : rows[rowOf.get(parentKey) ?? -1];
    if (o === null || row === undefined || parentRow === undefined) return;
    const exploit: TreeExploit = {
      edge: o,
      row: i,
      x0: xOf(o.donorStep),
      y0: parentRow.y,
      x1: xOf(seg.fromStep),
      y1: row.y,
      on: row.on,
      dim: row.dim,
    };
    exploits.push(exploit);
    exploitOfRow[i] = exploit;
  });
  const ticks = Array.from({ length: 6 }, (_, i) => {
    const step = Math.round((maxStep * i) / 5);
    return { x: xOf(step), step };
  });
  return {
    width,
    height,
    rowH,
    left,
    labels: rowH >= 9,
    dotRadius: Math.max(3, Math.min(5, rowH / 2)),
    rows,
    exploitOfRow,
    exploits,
    ticks,
  };
}

/** The row whose band holds `y` (rows tile the tree from top to bottom), or -1. */
export function rowAt(layout: TreeLayout, y: number): number {
  const i = Math.floor((y - TOP) / layout.rowH);
  return i >= 0 && i < layout.rows.length ? i : -1;
}

/** How close (px) a pointer must come to a bar's ends or to an exploit curve to hit it. */
const SLACK = 3;
/** Above and below a bar (rows under ~4 px are hit anywhere in their band). */
const BAR_SLACK = 1.5;

/**
 * What a point falls on, in drawing order from the top: an exploit dot, a stretch of training
 * (its bar, give or take a pixel or two), an exploit curve; null for empty space.
 */
export function hitTest(layout: TreeLayout, x: number, y: number): TreeHit | null {
  const r = layout.dotRadius + 1;
  const first = Math.max(0, rowAt(layout, y - r));
  const last = rowAt(layout, y + r) < 0 ? layout.rows.length - 1 : rowAt(layout, y + r);
  let best: { exploit: TreeExploit; d: number } | null = null;
  for (let i = first; i <= last; i++) {
    const e = layout.exploitOfRow[i];
    if (!e) continue;
    const d = Math.hypot(x - e.x1, y - e.y1);
    if (d <= r && (best === null || d < best.d)) best = { exploit: e, d };
  }
  if (best !== null) return { kind: 'exploit', exploit: best.exploit };
  const i = rowAt(layout, y);
  const row = layout.rows[i];
  if (
    row !== undefined &&
    x >= row.x0 - SLACK &&
    x <= row.x1 + SLACK &&
    Math.abs(y - row.y) <= row.thick / 2 + BAR_SLACK
  )
    return { kind: 'segment', row: i };
  for (const e of layout.exploits) {
    if (nearCurve(e, x, y)) return { kind: 'exploit', exploit: e };
  }
  return null;
}

/** The exploit curve: a cubic from the donor's point, leaving and arriving horizontally. */
export function curvePoints(
  e: TreeExploit,
): [number, number, number, number, number, number, number, number] {
  return [e.x0, e.y0, e.x0 + 12, e.y0, e.x1 - 12, e.y1, e.x1, e.y1];
}

function nearCurve(e: TreeExploit, x: number, y: number): boolean {
  const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = curvePoints(e);
  if (
    x < Math.min(x0, c2x) - SLACK ||
    x > Math.max(c1x, x1) + SLACK ||
    y < Math.min(y0, y1) - SLACK ||
    y > Math.max(y0, y1) + SLACK
  )
    return false;
  // Distance to the curve sampled as a polyline (16 pieces are within a pixel at these sizes).
  let px = x0;
  let py = y0;
  for (let k = 1; k <= 16; k++) {
    const t = k / 16;
    const u = 1 - t;
    const qx = u * u * u * x0 + 3 * u * u * t * c1x + 3 * u * t * t * c2x + t * t * t * x1;
    const qy = u * u * u * y0 + 3 * u * u * t * c1y + 3 * u * t * t * c2y + t * t * t * y1;
    if (distanceToSegment(x, y, px, py, qx, qy) <= SLACK) return true;
    px = qx;
    py = qy;
  }
  return false;
}

function distanceToSegment(
  x: number,
  y: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}
