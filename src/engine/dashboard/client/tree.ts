import type { LaneSegment, LineageEdge, LineageGraph } from '../../core/lineage-tree.js';
import { formatValue, h, memberColor } from './dom.js';
import {
  curvePoints,
  hitTest,
  layoutTree,
  rowAt,
  type TreeExploit,
  type TreeLayout,
  type TreeRow,
} from './tree-layout.js';

/**
 * The exploit tree drawn on one <canvas>: a population of 1,000 has ~7,000 stretches and
 * ~6,000 exploits, and as SVG those ~19,000 elements cost the browser over a second of style
 * and layout. The mouse is hit-tested against the same geometry (tree-layout.ts); the keyboard
 * walks the rows (arrows, Home/End, Page Up/Down; Enter selects) with a live description for
 * screen readers, which the SVG never had.
 */

export interface TreeHandlers {
  readonly onSelect: (memberId: number) => void;
  readonly showTip: (content: HTMLElement, x: number, y: number) => void;
  readonly hideTip: () => void;
}

export interface LineageTreeView {
  readonly element: HTMLElement;
  /** Focuses the tree on the row of this segment (after a redraw that the keyboard caused). */
  focusRow(key: string): void;
  /** The segment the keyboard is on, and whether the tree has the focus. */
  readonly focused: () => { readonly key: string | null; readonly active: boolean };
}

const MUTED = '#64748b';
/** The tree scrolls inside a box this tall (px). */
const VIEW_MAX = 720;
const GRID = '#eef2f7';

export function lineageTree(
  graph: LineageGraph,
  selected: number | null,
  width: number,
  handlers: TreeHandlers,
): LineageTreeView {
  const layout = layoutTree(graph, selected, width);
  const viewHeight = Math.min(layout.height, VIEW_MAX);
  const canvas = h('canvas', {
    class: 'tree',
    tabindex: 0,
    role: 'application',
    'aria-roledescription': 'lineage tree',
    'aria-label': `Lineage tree: ${layout.rows.length} stretches of training, ${layout.exploits.length} exploits. Arrow keys move between stretches, Enter selects the member.`,
  });
  const ring = h('div', { class: 'tree-focus', hidden: '' });
  const status = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  // The canvas is only as tall as the visible window and sticks to the top of the scroll box;
  // the box scrolls over the whole tree's height and each scroll draws the rows in view.
  const content = h(
    'div',
    { class: 'tree-canvas', style: `height:${layout.height}px;width:${layout.width}px` },
    canvas,
    ring,
    status,
  );
  const element = h('div', { class: 'tree-wrap', style: `max-height:${VIEW_MAX}px` }, content);
  const scrollTop = (): number => element.scrollTop;
  draw(canvas, layout, 0, viewHeight);
  let drawPending = false;
  element.addEventListener('scroll', () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw(canvas, layout, scrollTop(), viewHeight);
    });
  });

  canvas.addEventListener('click', (e) => {
    const memberId = memberAt(layout, e.offsetX, e.offsetY + scrollTop());
    if (memberId !== null) handlers.onSelect(memberId);
  });
  canvas.addEventListener('mousemove', (e) => {
    const hit = hitTest(layout, e.offsetX, e.offsetY + scrollTop());
    canvas.style.cursor = hit === null ? '' : 'pointer';
    if (hit === null) handlers.hideTip();
    else if (hit.kind === 'exploit')
      handlers.showTip(exploitTip(hit.exploit.edge), e.clientX, e.clientY);
    else {
      const seg = layout.rows[hit.row]?.segment;
      if (seg) handlers.showTip(segmentTip(seg), e.clientX, e.clientY);
    }
  });
  canvas.addEventListener('mouseleave', handlers.hideTip);

  // Keyboard: a cursor over the rows, shown by a ring and described in the status element.
  let current = -1;
  const show = (i: number): void => {
    const row = layout.rows[i];
    if (row === undefined) return;
    current = i;
    const pad = 2;
    const top = row.y - layout.rowH / 2 - pad;
    ring.style.left = `${row.x0 - pad}px`;
    ring.style.top = `${top}px`;
    ring.style.width = `${row.x1 - row.x0 + 2 * pad}px`;
    ring.style.height = `${layout.rowH + 2 * pad}px`;
    ring.hidden = false;
    // Into the scroll box's view (the page scrolls only if the box is off screen).
    if (top < scrollTop()) element.scrollTop = top;
    else if (top + layout.rowH + 2 * pad > scrollTop() + viewHeight)
      element.scrollTop = top + layout.rowH + 2 * pad - viewHeight;
    canvas.scrollIntoView({ block: 'nearest' });
    status.textContent = describeRow(row, layout.exploitOfRow[i] ?? null, i, layout.rows.length);
    const box = ring.getBoundingClientRect();
    handlers.showTip(rowTip(row.segment), box.left, box.bottom);
  };
  canvas.addEventListener('keydown', (e) => {
    const last = layout.rows.length - 1;
    const page = Math.max(1, Math.floor(600 / layout.rowH));
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current < 0 ? 0 : current - 1,
      Home: 0,
      End: last,
      PageDown: current + page,
      PageUp: current - page,
    };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      show(Math.max(0, Math.min(last, to)));
    } else if ((e.key === 'Enter' || e.key === ' ') && current >= 0) {
      e.preventDefault();
      const seg = layout.rows[current]?.segment;
      if (seg) handlers.onSelect(seg.memberId);
    } else if (e.key === 'Escape') handlers.hideTip();
  });
  canvas.addEventListener('blur', () => {
    ring.hidden = true;
    handlers.hideTip();
  });

  return {
    element,
    focusRow(key) {
      canvas.focus({ preventScroll: true });
      const i = layout.rows.findIndex((r) => r.key === key);
      if (i >= 0) show(i);
    },
    focused: () => ({
      key: layout.rows[current]?.key ?? null,
      active: document.activeElement === canvas,
    }),
  };
}

function memberAt(layout: TreeLayout, x: number, y: number): number | null {
  const hit = hitTest(layout, x, y);
  if (hit === null) return null;
  if (hit.kind === 'exploit') return hit.exploit.edge.memberId;
  return layout.rows[hit.row]?.segment.memberId ?? null;
}

/**
 * Draws the shapes that cross the window [top, top + height) of the tree, batched by style (one
 * path per colour, not one per shape), with the step axis along the window's bottom edge.
 */
function draw(canvas: HTMLCanvasElement, layout: TreeLayout, top: number, height: number): void {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(layout.width * dpr)) {
    canvas.width = Math.round(layout.width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${layout.width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, layout.width, height);
  ctx.translate(0, -top);
  const bottom = top + height;
  const first = Math.max(0, rowAt(layout, top - layout.rowH));
  const lastFound = rowAt(layout, bottom + layout.rowH);
  const last = lastFound < 0 ? layout.rows.length - 1 : lastFound;
  const visible = layout.rows.slice(first, last + 1);
  const exploits = layout.exploits.filter(
    (e) => Math.max(e.y0, e.y1) >= top - 8 && Math.min(e.y0, e.y1) <= bottom + 8,
  );

  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of layout.ticks) {
    ctx.moveTo(t.x, Math.max(top, 12));
    ctx.lineTo(t.x, Math.min(bottom, layout.height - 14));
  }
  ctx.stroke();

  // Exploit curves under the bars: plain, faint (another member selected), on the ancestry.
  const curveStyles: readonly [(e: TreeExploit) => boolean, string, number][] = [
    [(e) => !e.on && !e.dim, '#94a3b8', 1],
    [(e) => e.dim, '#e2e8f0', 1],
    [(e) => e.on, '#0f172a', 2],
  ];
  for (const [which, color, lineWidth] of curveStyles) {
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.beginPath();
    for (const e of exploits) {
      if (!which(e)) continue;
      const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = curvePoints(e);
      ctx.moveTo(x0, y0);
      ctx.bezierCurveTo(c1x, c1y, c2x, c2y, x1, y1);
    }
    ctx.stroke();
  }

  // Bars, one fill per colour.
  const byColor = new Map<string, TreeRow[]>();
  for (const row of visible) {
    const color = row.dim ? '#cbd5e1' : memberColor(row.segment.memberId);
    const list = byColor.get(color);
    if (list) list.push(row);
    else byColor.set(color, [row]);
  }
  for (const [color, rows] of byColor) {
    ctx.fillStyle = color;
    ctx.beginPath();
    for (const r of rows) {
      const y = r.y - r.thick / 2;
      const radius = Math.min(r.thick / 2, 3);
      if (radius >= 1) ctx.roundRect(r.x0, y, r.x1 - r.x0, r.thick, radius);
      else ctx.rect(r.x0, y, r.x1 - r.x0, r.thick);
    }
    ctx.fill();
  }

  ctx.font = '11px system-ui, sans-serif';
  if (layout.labels) {
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'end';
    for (const r of visible) ctx.fillText(`m${r.segment.memberId}`, layout.left - 6, r.y + 4);
  }

  // Exploit dots on top, white-edged.
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 1;
  for (const on of [false, true]) {
    ctx.fillStyle = on ? '#0f172a' : '#dc2626';
    ctx.beginPath();
    for (const e of exploits) {
      if (e.on !== on || e.y1 < top - 8 || e.y1 > bottom + 8) continue;
      ctx.moveTo(e.x1 + layout.dotRadius, e.y1);
      ctx.arc(e.x1, e.y1, layout.dotRadius, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.stroke();
  }

  // Step axis labels along the window's bottom edge, on a band that hides the rows under them.
  ctx.fillStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.fillRect(0, bottom - 16, layout.width, 16);
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  for (const t of layout.ticks) ctx.fillText(String(t.step), t.x, bottom - 4);
}

function describeRow(
  row: TreeRow,
  exploit: TreeExploit | null,
  index: number,
  count: number,
): string {
  const seg = row.segment;
  const copied =
    exploit === null
      ? 'own initial weights'
      : `copied m${exploit.edge.donor} as of its step ${exploit.edge.donorStep}` +
        (exploit.edge.operations.length > 0 ? ` (${exploit.edge.operations.join(', ')})` : '');
  return `member ${seg.memberId}, steps ${seg.fromStep}–${seg.toStep}, ${copied}; stretch ${index + 1} of ${count}`;
}

/** The keyboard's tip: the stretch, and the exploit that began it. */
function rowTip(seg: LaneSegment): HTMLElement {
  const tip = segmentTip(seg);
  if (seg.origin !== null) tip.prepend(exploitTip(seg.origin));
  return tip;
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
