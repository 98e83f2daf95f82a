import { linearScale, logScale, type Scale, type Tick } from './scale.js';
import { coord, escapeXml, FONT_FAMILY, paletteColor, textWidth } from './svg-text.js';

export interface LineSeries {
  readonly name: string;
  /** Drawn in the given order, so x–y trajectories (θ0 vs θ1 paths) work as well as time series. */
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
  readonly dashed?: boolean;
  /** Stroke width in px (default 1.8). */
  readonly width?: number;
  /** 0..1 (default 1); fade the crowd to let a highlighted series stand out. */
  readonly opacity?: number;
  /** Draw a dot at every point. Isolated points always get a dot. */
  readonly dots?: boolean;
}

export interface ChartMarker {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly color?: string;
}

export interface LineChartOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly series: readonly LineSeries[];
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** Size of the chart without the legend (the legend adds rows below). Default 720 × 320. */
  readonly width?: number;
  readonly height?: number;
  readonly markers?: readonly ChartMarker[];
  /** Replace the numeric y ticks, e.g. with category names. */
  readonly yTicks?: readonly Tick[];
  /** Default true; the legend lists every series that has a name. */
  readonly legend?: boolean;
}

const TITLE_SIZE = 15;
const FONT_SIZE = 12;
const LEGEND_ROW = 20;
const AXIS_COLOR = '#6b7280';
const GRID_COLOR = '#e5e7eb';
const TEXT_COLOR = '#1f2937';

/**
 * A line chart as a standalone SVG string: axes with nice ticks (linear or log), optional
 * markers, a legend below the plot. Every text is escaped; non-drawable points (non-finite, or
 * ≤ 0 on a log axis) break the line instead of producing NaN coordinates.
 */
export function svgLineChart(options: LineChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 320;
  const markers = options.markers ?? [];
  const allPoints = [
    ...options.series.flatMap((s) => s.points),
    ...markers.map((m) => [m.x, m.y] as const),
  ];
  const xs = allPoints.map((p) => p[0]);
  const ys = [...allPoints.map((p) => p[1]), ...(options.yTicks ?? []).map((t) => t.value)];
  const xScale = options.logX
    ? logScale(xs)
    : linearScale(xs, Math.max(3, Math.round(width / 110)));
  const yScaleRaw = options.logY
    ? logScale(ys)
    : linearScale(ys, Math.max(3, Math.round(height / 60)));
  const yScale: Scale = options.yTicks ? { ...yScaleRaw, ticks: options.yTicks } : yScaleRaw;

  const yLabelWidth = Math.max(...yScale.ticks.map((t) => textWidth(t.label, FONT_SIZE)), 16);
  const left = Math.ceil(yLabelWidth + (options.yLabel ? 34 : 14));
  const right = 18;
  const top = options.title ? 38 : 14;
  const bottom = options.xLabel ? 48 : 30;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const px = (x: number): number => left + xScale.map(x) * plotW;
  const py = (y: number): number => top + (1 - yScale.map(y)) * plotH;

  const legendItems = options.legend === false ? [] : options.series.filter((s) => s.name !== '');
  const legendLayout = layoutLegend(
    legendItems.map((s) => s.name),
    width - left - right,
  );
  const totalH = height + legendLayout.rows * LEGEND_ROW + (legendLayout.rows > 0 ? 6 : 0);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${coord(totalH)}" viewBox="0 0 ${width} ${coord(totalH)}" font-family="${escapeXml(FONT_FAMILY)}" font-size="${FONT_SIZE}" role="img">`,
  );
  if (options.title) {
    out.push(`<title>${escapeXml(options.title)}</title>`);
    out.push(
      `<text x="${left}" y="22" font-size="${TITLE_SIZE}" font-weight="600" fill="${TEXT_COLOR}">${escapeXml(options.title)}</text>`,
    );
  }

  // Grid and ticks.
  for (const t of yScale.ticks) {
    const y = py(t.value);
    if (y < top - 0.5 || y > top + plotH + 0.5) continue;
    out.push(
      `<line x1="${left}" x2="${coord(left + plotW)}" y1="${coord(y)}" y2="${coord(y)}" stroke="${GRID_COLOR}" stroke-width="1"/>`,
    );
    out.push(
      `<text x="${left - 8}" y="${coord(y)}" text-anchor="end" dominant-baseline="middle" fill="${AXIS_COLOR}">${escapeXml(t.label)}</text>`,
    );
  }
  for (const t of xScale.ticks) {
    const x = px(t.value);
    if (x < left - 0.5 || x > left + plotW + 0.5) continue;
    out.push(
      `<line x1="${coord(x)}" x2="${coord(x)}" y1="${top}" y2="${coord(top + plotH)}" stroke="${GRID_COLOR}" stroke-width="1"/>`,
    );
    out.push(
      `<text x="${coord(x)}" y="${coord(top + plotH + 17)}" text-anchor="middle" fill="${AXIS_COLOR}">${escapeXml(t.label)}</text>`,
    );
  }
  out.push(
    `<path d="M${left} ${top}V${coord(top + plotH)}H${coord(left + plotW)}" fill="none" stroke="${AXIS_COLOR}" stroke-width="1"/>`,
  );
  if (options.xLabel) {
    out.push(
      `<text x="${coord(left + plotW / 2)}" y="${coord(top + plotH + 38)}" text-anchor="middle" fill="${TEXT_COLOR}">${escapeXml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    const cy = top + plotH / 2;
    out.push(
      `<text x="14" y="${coord(cy)}" text-anchor="middle" dominant-baseline="middle" transform="rotate(-90 14 ${coord(cy)})" fill="${TEXT_COLOR}">${escapeXml(options.yLabel)}</text>`,
    );
  }

  // Series.
  options.series.forEach((s, i) => {
    const color = s.color ?? paletteColor(i);
    const strokeWidth = s.width ?? 1.8;
    const opacity = s.opacity ?? 1;
    const runs: [number, number][][] = [];
    let run: [number, number][] = [];
    for (const [x, y] of s.points) {
      if (xScale.accepts(x) && yScale.accepts(y)) {
        run.push([px(x), py(y)]);
      } else if (run.length > 0) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length > 0) runs.push(run);
    const d = runs
      .filter((r) => r.length > 1)
      .map((r) => r.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${coord(x)} ${coord(y)}`).join(''))
      .join('');
    const label = `<title>${escapeXml(s.name)}</title>`;
    const group: string[] = [`<g opacity="${coord(opacity)}">`, label];
    if (d !== '') {
      group.push(
        `<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="${coord(strokeWidth)}" stroke-linejoin="round" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    for (const r of runs) {
      if (r.length !== 1 && !s.dots) continue;
      for (const [x, y] of r) {
        group.push(
          `<circle cx="${coord(x)}" cy="${coord(y)}" r="${coord(strokeWidth + 1.2)}" fill="${escapeXml(color)}"/>`,
        );
      }
    }
    group.push('</g>');
    out.push(group.join(''));
  });

  // Markers.
  for (const m of markers) {
    if (!xScale.accepts(m.x) || !yScale.accepts(m.y)) continue;
    const x = px(m.x);
    const y = py(m.y);
    const color = escapeXml(m.color ?? TEXT_COLOR);
    const anchorEnd = x > left + plotW * 0.75;
    out.push(
      `<circle cx="${coord(x)}" cy="${coord(y)}" r="4.5" fill="#fff" stroke="${color}" stroke-width="2"/>` +
        `<text x="${coord(anchorEnd ? x - 8 : x + 8)}" y="${coord(y - 8)}" text-anchor="${anchorEnd ? 'end' : 'start'}" fill="${color}" font-weight="600">${escapeXml(m.label)}</text>`,
    );
  }

  // Legend below the plot.
  legendLayout.positions.forEach((pos, i) => {
    const s = legendItems[i];
    if (s === undefined) return;
    const color = escapeXml(s.color ?? paletteColor(options.series.indexOf(s)));
    const x = left + pos.x;
    const y = height + 4 + pos.row * LEGEND_ROW + LEGEND_ROW / 2;
    out.push(
      `<line x1="${coord(x)}" x2="${coord(x + 18)}" y1="${coord(y)}" y2="${coord(y)}" stroke="${color}" stroke-width="${coord(Math.max(2, s.width ?? 2))}" stroke-linecap="round"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>` +
        `<text x="${coord(x + 24)}" y="${coord(y)}" dominant-baseline="middle" fill="${TEXT_COLOR}">${escapeXml(s.name)}</text>`,
    );
  });

  out.push('</svg>');
  return out.join('\n');
}

interface LegendLayout {
  readonly rows: number;
  readonly positions: readonly { x: number; row: number }[];
}

function layoutLegend(names: readonly string[], available: number): LegendLayout {
  if (names.length === 0) return { rows: 0, positions: [] };
  // Equal-width columns read better than ragged rows when there are many members.
  const itemW = Math.min(available, Math.max(...names.map((n) => textWidth(n, FONT_SIZE))) + 40);
  const perRow = Math.max(1, Math.floor(available / itemW));
  const positions = names.map((_, i) => ({ x: (i % perRow) * itemW, row: Math.floor(i / perRow) }));
  return { rows: Math.ceil(names.length / perRow), positions };
}
