import { formatHparams, formatNumber, type LineageGraph } from '../../core/lineage-tree.js';
import type { Schedule } from '../../core/schedule.js';
import { linearScale } from './scale.js';
import { contentId, coord, escapeXml, FONT_FAMILY } from './svg-text.js';

export interface LineageChartOptions {
  readonly graph: LineageGraph;
  readonly title?: string;
  /** Draw this schedule's path (e.g. the best member's) in the accent colour. */
  readonly highlight?: Schedule;
  readonly width?: number;
  readonly xLabel?: string;
}

const FONT_SIZE = 12;
const TEXT = '#1f2937';
const MUTED = '#6b7280';
const GRID = '#e5e7eb';
const LANE = '#cbd5e1';
const EDGE = '#94a3b8';
const ACCENT = '#2563eb';

/**
 * Members as horizontal lanes over their own steps; each exploit is an arrow from the donor's
 * lane at the copied step to the member's lane at the step it exploited. Hovering a bar or an
 * arrow shows its details (native SVG tooltips, no script).
 */
export function svgLineageChart(options: LineageChartOptions): string {
  const { graph } = options;
  const width = options.width ?? 1000;
  const lanes = graph.lanes;
  const laneH = lanes.length <= 8 ? 30 : Math.max(14, Math.min(30, Math.floor(480 / lanes.length)));
  const left = 52;
  const right = 86;
  const top = options.title ? 42 : 16;
  const plotW = width - left - right;
  const plotH = Math.max(1, lanes.length) * laneH;
  const bottom = options.xLabel ? 50 : 32;
  const legendH = options.highlight ? 22 : 0;
  const height = top + plotH + bottom + legendH;
  const xScale = linearScale([0, Math.max(1, graph.maxStep)], Math.max(3, Math.round(plotW / 110)));
  const px = (step: number): number => left + xScale.map(step) * plotW;
  const laneIndex = new Map(lanes.map((l, i) => [l.memberId, i]));
  const py = (memberId: number): number => top + ((laneIndex.get(memberId) ?? 0) + 0.5) * laneH;
  const barH = Math.max(4, Math.min(9, laneH * 0.32));
  const arrowId = contentId(
    'arrow',
    JSON.stringify(graph.edges.map((e) => e.eventId)),
    String(lanes.length),
  );

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${coord(height)}" viewBox="0 0 ${width} ${coord(height)}" font-family="${escapeXml(FONT_FAMILY)}" font-size="${FONT_SIZE}" role="img">`,
  );
  out.push(
    `<defs>` +
      `<marker id="${arrowId}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${EDGE}"/></marker>` +
      `<marker id="${arrowId}-hi" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${ACCENT}"/></marker>` +
      `</defs>`,
  );
  if (options.title) {
    out.push(`<title>${escapeXml(options.title)}</title>`);
    out.push(
      `<text x="${left}" y="24" font-size="15" font-weight="600" fill="${TEXT}">${escapeXml(options.title)}</text>`,
    );
  }

  // Step grid and axis.
  for (const t of xScale.ticks) {
    const x = px(t.value);
    out.push(
      `<line x1="${coord(x)}" x2="${coord(x)}" y1="${top}" y2="${coord(top + plotH)}" stroke="${GRID}"/>`,
    );
    out.push(
      `<text x="${coord(x)}" y="${coord(top + plotH + 17)}" text-anchor="middle" fill="${MUTED}">${escapeXml(t.label)}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${coord(left + plotW)}" y1="${coord(top + plotH)}" y2="${coord(top + plotH)}" stroke="${MUTED}"/>`,
  );
  if (options.xLabel) {
    out.push(
      `<text x="${coord(left + plotW / 2)}" y="${coord(top + plotH + 38)}" text-anchor="middle" fill="${TEXT}">${escapeXml(options.xLabel)}</text>`,
    );
  }

  // Lanes: one bar per segment between exploits.
  const fontSize = Math.min(FONT_SIZE, laneH - 2);
  for (const lane of lanes) {
    const y = py(lane.memberId);
    out.push(
      `<text x="${left - 10}" y="${coord(y)}" text-anchor="end" dominant-baseline="middle" font-size="${fontSize}" fill="${TEXT}">m${lane.memberId}</text>`,
    );
    for (const seg of lane.segments) {
      const x1 = px(seg.fromStep);
      const x2 = Math.max(px(seg.toStep), x1 + 1);
      const tip = `m${seg.memberId} steps ${seg.fromStep}–${seg.toStep}${seg.hparams ? `: ${formatHparams(seg.hparams)}` : ''}${seg.lastScore !== null ? `, score ${formatNumber(seg.lastScore)}` : ''}`;
      out.push(
        `<rect x="${coord(x1)}" y="${coord(y - barH / 2)}" width="${coord(x2 - x1)}" height="${coord(barH)}" rx="${coord(barH / 2)}" fill="${LANE}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
    if (lane.lastScore !== null) {
      out.push(
        `<text x="${coord(left + plotW + 10)}" y="${coord(y)}" dominant-baseline="middle" font-size="${fontSize}" fill="${MUTED}">${escapeXml(formatNumber(lane.lastScore))}</text>`,
      );
    }
  }

  // The highlighted path: the segments that trained the final model.
  const hiEvents = new Set(options.highlight?.exploits.map((e) => e.event.id) ?? []);
  for (const seg of options.highlight?.segments ?? []) {
    if (!laneIndex.has(seg.memberId)) continue;
    const y = py(seg.memberId);
    const x1 = px(seg.fromMemberStep);
    const x2 = Math.max(px(seg.toMemberStep), x1 + 1);
    out.push(
      `<rect x="${coord(x1)}" y="${coord(y - barH / 2)}" width="${coord(x2 - x1)}" height="${coord(barH)}" rx="${coord(barH / 2)}" fill="${ACCENT}"><title>${escapeXml(`model steps ${seg.fromModelStep}–${seg.toModelStep} trained by m${seg.memberId}: ${formatHparams(seg.hparams)}`)}</title></rect>`,
    );
  }

  // Exploit arrows, highlighted ones last so they are on top.
  const edges = [...graph.edges].sort(
    (a, b) => Number(hiEvents.has(a.eventId)) - Number(hiEvents.has(b.eventId)),
  );
  for (const e of edges) {
    if (!laneIndex.has(e.donor) || !laneIndex.has(e.memberId)) continue;
    const hi = hiEvents.has(e.eventId);
    const x1 = px(e.donorStep);
    const y1 = py(e.donor);
    const x2 = px(e.step);
    const y2 = py(e.memberId);
    const dir = y2 > y1 ? 1 : -1;
    // Leave the donor bar and stop at the edge of the member's bar.
    const sy = y1 + (dir * barH) / 2;
    const ey = y2 - (dir * barH) / 2 - dir * 1.5;
    const bend = Math.max(8, Math.abs(ey - sy) * 0.45);
    const d = `M${coord(x1)} ${coord(sy)}C${coord(x1)} ${coord(sy + dir * bend)} ${coord(x2)} ${coord(ey - dir * bend)} ${coord(x2)} ${coord(ey)}`;
    const ops = e.operations.length > 0 ? ` (${e.operations.join(', ')})` : '';
    const tip = `m${e.memberId}@${e.step} ⇐ m${e.donor}@${e.donorStep}${ops}`;
    out.push(
      `<path d="${d}" fill="none" stroke="${hi ? ACCENT : EDGE}" stroke-width="${hi ? 2 : 1.2}" stroke-opacity="${hi ? 1 : 0.75}" marker-end="url(#${arrowId}${hi ? '-hi' : ''})"><title>${escapeXml(tip)}</title></path>`,
    );
  }

  if (options.highlight) {
    const y = top + plotH + bottom + 6;
    out.push(
      `<rect x="${left}" y="${coord(y - 4)}" width="22" height="8" rx="4" fill="${ACCENT}"/>` +
        `<text x="${left + 30}" y="${coord(y)}" dominant-baseline="middle" fill="${TEXT}">${escapeXml(`training path of m${options.highlight.memberId}'s final model`)}</text>` +
        `<rect x="${left + 300}" y="${coord(y - 4)}" width="22" height="8" rx="4" fill="${LANE}"/>` +
        `<text x="${left + 330}" y="${coord(y)}" dominant-baseline="middle" fill="${TEXT}">other training</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
