import uPlot from 'uplot';
import type { SeriesData } from '../../report/report-model.js';
import { memberColor } from './dom.js';

/** A member's curve, with its id for colour and selection. */
export interface Curve {
  readonly label: string;
  readonly memberId?: number;
  readonly points: readonly (readonly [number, number])[];
}

export interface Marker {
  readonly x: number;
  readonly y: number;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel?: string;
  readonly log?: boolean;
  /** Hold each value until the next point (hyperparameters). */
  readonly stepped?: boolean;
  /** y tick labels for categorical values (y = index). */
  readonly categories?: readonly string[] | null;
  readonly selected?: number | null;
  readonly markers?: readonly Marker[];
  readonly width: number;
  readonly height: number;
  /** Colour by position instead of member id (comparison curves). */
  readonly colorByIndex?: boolean;
  readonly legend?: boolean;
}

export function toCurves(series: readonly SeriesData[]): Curve[] {
  return series.map((s) => ({
    label: s.name,
    ...(s.memberId !== undefined ? { memberId: s.memberId } : {}),
    points: s.points,
  }));
}

/** A drawn chart, kept to append to it when results arrive instead of drawing it again. */
export interface LiveChart {
  readonly chart: uPlot;
  /** The curves' labels in order: new data fits the chart only with the same series. */
  readonly key: string;
  /** Read by the draw hook, so an update can move them. */
  markers: readonly Marker[];
}

const curvesKey = (curves: readonly Curve[]): string => curves.map((c) => c.label).join('\u0000');

/** The curves joined on the union of their x values, as uPlot takes them; and the point count. */
function alignedData(
  curves: readonly Curve[],
  opts: Pick<ChartOptions, 'log'>,
): { data: uPlot.AlignedData; points: number } {
  const tables: uPlot.AlignedData[] = curves.map((c) => {
    const byX = new Map<number, number>();
    for (const [x, y] of c.points) {
      if (Number.isFinite(x) && Number.isFinite(y) && (!opts.log || y > 0)) byX.set(x, y);
    }
    const xs = [...byX.keys()].sort((a, b) => a - b);
    return [xs, xs.map((x) => byX.get(x) ?? null)];
  });
  let points = 0;
  for (const t of tables) points += t[0].length;
  return { data: tables.length > 0 ? uPlot.join(tables) : [[]], points };
}

/**
 * New points for a drawn chart (uPlot setData: no new canvas, no new DOM). False when the
 * curves are not the same series (a member appeared): the caller draws the chart again.
 */
export function updateLineChart(
  live: LiveChart,
  target: HTMLElement,
  curves: readonly Curve[],
  opts: Pick<ChartOptions, 'log' | 'markers'>,
): boolean {
  if (curvesKey(curves) !== live.key) return false;
  const { data, points } = alignedData(curves, opts);
  live.markers = opts.markers ?? [];
  live.chart.setData(data);
  target.dataset.points = String(points);
  return true;
}

/**
 * A uPlot line chart of many curves with their own x values (joined on the union of x). For
 * a step function the last value at an x wins: it is the value held from there on.
 */
export function lineChart(
  target: HTMLElement,
  curves: readonly Curve[],
  opts: ChartOptions,
): LiveChart {
  const { data, points } = alignedData(curves, opts);
  const selected = opts.selected ?? null;
  const many = curves.length > 24;
  const stepped = opts.stepped === true ? uPlot.paths.stepped?.({ align: 1 }) : undefined;
  const series: uPlot.Series[] = [
    { label: opts.xLabel },
    ...curves.map((c, i): uPlot.Series => {
      const color = opts.colorByIndex === true ? memberColor(i) : memberColor(c.memberId ?? i);
      const isSel = selected !== null && c.memberId === selected;
      const faded = selected !== null && !isSel;
      return {
        label: c.label,
        stroke: faded ? 'rgba(148,163,184,0.35)' : color,
        width: isSel ? 3 : many ? 1 : 1.6,
        spanGaps: true,
        // A member with one or two results has no line to speak of yet: show its points.
        points: { show: c.points.length <= 2, size: 5 },
        ...(stepped !== undefined ? { paths: stepped } : {}),
      };
    }),
  ];
  const holder: { markers: readonly Marker[] } = { markers: opts.markers ?? [] };
  const cats = opts.categories ?? null;
  const chart = new uPlot(
    {
      width: opts.width,
      height: opts.height,
      title: opts.title,
      legend: { show: opts.legend === true },
      cursor: { focus: { prox: 12 }, points: { show: false } },
      focus: { alpha: 0.25 },
      scales: {
        x: { time: false },
        y:
          opts.log === true
            ? { distr: 3 }
            : cats !== null
              ? { range: [-0.5, cats.length - 0.5] }
              : {},
      },
      axes: [
        { label: opts.xLabel, stroke: '#475569', grid: { stroke: '#eef2f7' } },
        {
          label: opts.yLabel ?? '',
          stroke: '#475569',
          grid: { stroke: '#eef2f7' },
          size: 64,
          ...(cats !== null
            ? {
                splits: () => cats.map((_, i) => i),
                values: (_u: uPlot, ticks: number[]) => ticks.map((t) => cats[t] ?? ''),
              }
            : {}),
        },
      ],
      series,
      hooks: {
        draw: [
          (u) => {
            const markers = holder.markers;
            if (markers.length === 0) return;
            const ctx = u.ctx;
            ctx.save();
            ctx.fillStyle = '#dc2626';
            ctx.strokeStyle = '#ffffff';
            ctx.lineWidth = 1;
            const r = 4 * devicePixelRatio;
            // One path for all (6,000 at 1,000 x 100), filled then outlined once.
            ctx.beginPath();
            for (const m of markers) {
              const x = u.valToPos(m.x, 'x', true);
              const y = u.valToPos(m.y, 'y', true);
              if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
              ctx.moveTo(x, y - r);
              ctx.lineTo(x + r, y + r * 0.8);
              ctx.lineTo(x - r, y + r * 0.8);
              ctx.closePath();
            }
            ctx.fill();
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    },
    data,
    target,
  );
  target.dataset.points = String(points);
  target.dataset.series = String(curves.length);
  return {
    chart,
    key: curvesKey(curves),
    get markers() {
      return holder.markers;
    },
    set markers(m) {
      holder.markers = m;
    },
  };
}
