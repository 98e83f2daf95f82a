import { stratify, type HierarchyNode } from 'd3-hierarchy';
import type { LaneSegment, LineageEdge, LineageGraph } from '../../core/lineage-tree.js';
import { formatValue, h, memberColor, s } from './dom.js';

/**
 * The exploit tree: every stretch of training (a lane segment) is a node; a segment that began
 * by copying a donor hangs under the donor's segment it copied (d3-hierarchy's stratify), one
 * row per segment in depth-first order; x is the member's step.
 */

interface Node {
  readonly id: string;
  readonly parent: string | null;
  readonly segment: LaneSegment | null;
}

const segId = (memberId: number, index: number): string => `${memberId}:${index}`;

export interface TreeHandlers {
  readonly onSelect: (memberId: number) => void;
  readonly showTip: (content: HTMLElement, x: number, y: number) => void;
  readonly hideTip: () => void;
}

export function lineageTree(
  graph: LineageGraph,
  selected: number | null,
  width: number,
  handlers: TreeHandlers,
): SVGElement {
  const nodes: Node[] = [{ id: 'root', parent: null, segment: null }];
  const known = new Set<string>();
  for (const lane of graph.lanes)
    for (const seg of lane.segments) known.add(segId(seg.memberId, seg.index));
  for (const lane of graph.lanes) {
    for (const seg of lane.segments) {
      const o = seg.origin;
      const parent = o !== null ? segId(o.donor, o.donorSegment) : 'root';
      nodes.push({
        id: segId(seg.memberId, seg.index),
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
  // One row per segment in depth-first order: a segment sits right below the one it copied,
  // so every family of exploits is a contiguous block.
  const rowOf = new Map<string, number>();
  root.eachBefore((n) => {
    if (n.id !== undefined && n.id !== 'root') rowOf.set(n.id, rowOf.size);
  });
  const rows = Math.max(1, rowOf.size);
  const rowH = Math.max(1.5, Math.min(16, 900 / rows));
  const height = Math.round(rows * rowH + 40);
  const left = 48;
  const right = 16;
  const maxStep = Math.max(1, graph.maxStep);
  const xOf = (step: number): number => left + (step / maxStep) * (width - left - right);
  const yOf = (n: HierarchyNode<Node>): number =>
    20 + (rowOf.get(n.id ?? '') ?? 0) * rowH + rowH / 2;

  // The selected member's ancestry: its last segment and every segment its weights came from.
  const ancestry = new Set<string>();
  if (selected !== null) {
    const lane = graph.lanes.find((l) => l.memberId === selected);
    const last = lane?.segments.at(-1);
    let node = last ? root.find((n) => n.id === segId(last.memberId, last.index)) : undefined;
    while (node && node.id !== 'root') {
      if (node.id !== undefined) ancestry.add(node.id);
      node = node.parent ?? undefined;
    }
  }

  const svg = s('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'tree',
    role: 'img',
    'aria-label': 'lineage tree',
  });
  // Step axis.
  const axis = s('g', { class: 'axis' });
  for (let i = 0; i <= 5; i++) {
    const step = Math.round((maxStep * i) / 5);
    const x = xOf(step);
    axis.append(
      s('line', { x1: x, x2: x, y1: 12, y2: height - 14, stroke: '#eef2f7' }),
      s('text', { x, y: height - 2, 'text-anchor': 'middle' }, String(step)),
    );
  }
  svg.append(axis);

  // What each segment, exploit curve and exploit dot selects and says on hover.
  const targets = new Map<Element, { memberId: number; tip: () => HTMLElement }>();
  const edges = s('g', { class: 'edges' });
  const segs = s('g', { class: 'segments' });
  for (const n of root.descendants()) {
    const seg = n.data.segment;
    if (seg === null) continue;
    const on = ancestry.has(n.id ?? '');
    const dim = selected !== null && !on;
    const y = yOf(n);
    const color = dim ? '#cbd5e1' : memberColor(seg.memberId);
    // A rect, not a line: it has an area, so it is easy to hit (and to click in tests).
    const thick = on ? Math.max(3, rowH * 0.6) : Math.max(1.5, rowH * 0.45);
    const x0 = xOf(seg.fromStep);
    const line = s('rect', {
      x: x0,
      y: y - thick / 2,
      width: Math.max(xOf(seg.toStep) - x0, 2),
      height: thick,
      rx: Math.min(thick / 2, 3),
      fill: color,
      class: 'segment',
      'data-member': seg.memberId,
    });
    targets.set(line, { memberId: seg.memberId, tip: () => segmentTip(seg) });
    segs.append(line);
    if (rowH >= 9) {
      segs.append(
        s(
          'text',
          { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'lane-label' },
          `m${seg.memberId}`,
        ),
      );
    }
    const o = seg.origin;
    const parent = n.parent;
    if (o !== null && parent !== null && parent.id !== 'root') {
      const x0 = xOf(o.donorStep);
      const x1 = xOf(seg.fromStep);
      const y0 = yOf(parent);
      const path = s('path', {
        d: `M${x0},${y0} C${x0 + 12},${y0} ${x1 - 12},${y} ${x1},${y}`,
        fill: 'none',
        stroke: on ? '#0f172a' : dim ? '#e2e8f0' : '#94a3b8',
        'stroke-width': on ? 2 : 1,
        class: 'exploit',
        'data-member': seg.memberId,
      });
      const hit = s('circle', {
        cx: x1,
        cy: y,
        r: Math.max(3, Math.min(5, rowH / 2)),
        fill: on ? '#0f172a' : '#dc2626',
        class: 'exploit-dot',
        'data-member': seg.memberId,
      });
      const target = { memberId: seg.memberId, tip: () => exploitTip(o) };
      targets.set(path, target);
      targets.set(hit, target);
      edges.append(path);
      segs.append(hit);
    }
  }
  svg.append(edges, segs);
  // One set of listeners for the whole tree (a population of 1,000 draws ~14,000 shapes).
  svg.addEventListener('click', (e) => {
    const t = targets.get(e.target as Element);
    if (t !== undefined) handlers.onSelect(t.memberId);
  });
  svg.addEventListener('mousemove', (e) => {
    const t = targets.get(e.target as Element);
    if (t !== undefined) handlers.showTip(t.tip(), e.clientX, e.clientY);
    else handlers.hideTip();
  });
  svg.addEventListener('mouseleave', handlers.hideTip);
  return svg;
}

function segmentTip(seg: LaneSegment): HTMLElement {
  return h(
    'div',
    {},
    h('strong', {}, `member ${seg.memberId}`),
    ` · steps ${seg.fromStep}–${seg.toStep}`,
    h('div', {}, `last score ${formatValue(seg.lastScore ?? undefined)}`),
    seg.hparams ? hparamList(seg.hparams) : null,
    h('div', { class: 'muted' }, 'click: select this member'),
  );
}

/** What an exploit did: who copied whom when, and how the hyperparameters moved. */
export function exploitTip(e: LineageEdge): HTMLElement {
  const names = [...new Set([...Object.keys(e.oldHparams), ...Object.keys(e.newHparams)])].sort();
  const rows = names.map((k) => {
    const a = e.oldHparams[k];
    const b = e.newHparams[k];
    return h(
      'tr',
      a === b ? {} : { class: 'changed' },
      h('td', {}, k),
      h('td', {}, formatValue(a)),
      h('td', {}, '→'),
      h('td', {}, formatValue(b)),
    );
  });
  return h(
    'div',
    {},
    h('strong', {}, `m${e.memberId} ← m${e.donor}`),
    h('div', {}, `at step ${e.step}, copied m${e.donor} as of its step ${e.donorStep}`),
    h('table', { class: 'tip-table' }, ...rows),
    h('div', {}, `explore: ${e.operations.length > 0 ? e.operations.join(', ') : 'nothing'}`),
  );
}

function hparamList(hp: Readonly<Record<string, string | number>>): HTMLElement {
  return h(
    'div',
    { class: 'muted' },
    Object.keys(hp)
      .sort()
      .map((k) => `${k}=${formatValue(hp[k])}`)
      .join(' '),
  );
}
