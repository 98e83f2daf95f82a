import { svgLineChart, type LineSeries } from './svg/line-chart.js';
import { escapeXml, FONT_FAMILY, paletteColor } from './svg/svg-text.js';

/** The parts of comparison.json (see src/engine/compare) this chart reads. */
export interface ComparisonView {
  readonly id: string;
  readonly task: string;
  readonly finalScore: string;
  readonly interval: string;
  readonly seeds: readonly number[];
  readonly loadAverage?: readonly number[];
  readonly methods: Readonly<
    Record<
      string,
      {
        readonly seeds: readonly (number | null)[];
        readonly mean: number | null;
        readonly ci95: readonly [number, number] | null;
        readonly totalSteps: number;
        readonly wallSeconds: number;
        readonly cpuSeconds: number;
        readonly curve: {
          readonly steps: readonly number[];
          readonly mean: readonly (number | null)[];
          readonly ci95: readonly (readonly [number, number] | null)[];
        };
      }
    >
  >;
}

/**
 * Score against compute: one line per method (best validation score so far, mean over seeds,
 * at tenths of its member-steps) with 95 % interval bars, and the final score (test where the
 * task has one) with its interval at the method's total compute.
 */
export function comparisonChartSvg(c: ComparisonView): string {
  const series: LineSeries[] = [];
  Object.entries(c.methods).forEach(([method, m], i) => {
    const color = paletteColor(i);
    const points = m.curve.steps
      .map((x, j) => [x, m.curve.mean[j] ?? Number.NaN] as const)
      .filter(([, y]) => Number.isFinite(y));
    series.push({ name: `${method} (best validation so far)`, points, color, dots: true });
    m.curve.ci95.forEach((ci, j) => {
      const x = m.curve.steps[j];
      if (ci && x !== undefined)
        series.push({
          name: '',
          points: [
            [x, ci[0]],
            [x, ci[1]],
          ],
          color,
          width: 1,
        });
    });
    if (m.mean !== null && m.ci95) {
      series.push({
        name: `${method} final`,
        points: [[m.totalSteps, m.mean]],
        color,
        dashed: true,
      });
      series.push({
        name: '',
        points: [
          [m.totalSteps, m.ci95[0]],
          [m.totalSteps, m.ci95[1]],
        ],
        color,
        width: 3,
        opacity: 0.6,
      });
    }
  });
  return svgLineChart({
    title: `${c.task}: score vs compute (${c.seeds.length} seeds, 95 % CI bars)`,
    xLabel: 'member-steps spent',
    yLabel: 'score',
    series,
  });
}

/** A standalone page: the chart and the table of comparison.json. */
export function renderComparisonHtml(c: ComparisonView): string {
  const f = (x: number | null): string => (x === null ? '—' : x.toFixed(4));
  const rows = Object.entries(c.methods)
    .map(
      ([method, m]) =>
        `<tr><td>${escapeXml(method)}</td><td>${f(m.mean)}</td><td>${m.ci95 ? `${f(m.ci95[0])} – ${f(m.ci95[1])}` : '—'}</td>` +
        `<td>${m.seeds.map(f).join(', ')}</td><td>${m.totalSteps.toFixed(0)}</td><td>${m.wallSeconds.toFixed(1)}</td><td>${m.cpuSeconds.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeXml(c.id)}</title>
<style>body{font-family:${FONT_FAMILY};margin:2em;color:#1f2937}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>Comparison ${escapeXml(c.id)}</h1>
<p>Final score: ${escapeXml(c.finalScore)}. Interval: ${escapeXml(c.interval)}.${c.loadAverage ? ` Load average at the end: ${c.loadAverage.join(', ')}.` : ''}</p>
${comparisonChartSvg(c)}
<table><tr><th>method</th><th>mean</th><th>95 % CI</th><th>per seed</th><th>member-steps</th><th>wall s</th><th>CPU s</th></tr>
${rows}
</table>
</body></html>
`;
}
