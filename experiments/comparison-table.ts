/**
 * A comparison.json (from `pbt compare`) as the Markdown table the README shows: per method the
 * mean ± half-width of the 95 % t-interval, the per-seed scores, member-steps and wall seconds.
 *
 *   node --import tsx experiments/comparison-table.ts results/<task>/comparison.json [--digits 4] [--scale 1]
 *     [--metric test_accuracy]
 *
 * --metric tabulates another metric of each run's picked member (its last evaluation) instead of
 * the final score, e.g. the test accuracy a trainable reports.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mean, tInterval95 } from '../src/engine/compare/stats.js';

interface MethodSummary {
  readonly seeds: readonly (number | null)[];
  readonly mean: number | null;
  readonly ci95: readonly [number, number] | null;
  readonly totalSteps: number;
  readonly wallSeconds: number;
  readonly runs?: readonly { readonly metrics?: Record<string, unknown> | null }[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    digits: { type: 'string', default: '4' },
    scale: { type: 'string', default: '1' },
    metric: { type: 'string' },
  },
});
const file = positionals[0];
if (file === undefined) {
  process.stderr.write('usage: comparison-table.ts <comparison.json> [--digits 4] [--scale 1]\n');
  process.exit(2);
}
const digits = Number(values.digits);
const scale = Number(values.scale);
const json = JSON.parse(readFileSync(file, 'utf8')) as {
  methods: Record<string, MethodSummary>;
  seeds: readonly number[];
};
const show = (x: number | null): string => (x === null ? '—' : (x * scale).toFixed(digits));
const metric = values.metric;
/** The method's per-seed values, mean and interval of `metric` instead of the final score. */
function ofMetric(m: MethodSummary): MethodSummary {
  if (metric === undefined) return m;
  const seeds = (m.runs ?? []).map((r) => {
    const v = r.metrics?.[metric];
    return typeof v === 'number' ? v : null;
  });
  const finite = seeds.filter((v): v is number => v !== null);
  return {
    ...m,
    seeds,
    mean: finite.length > 0 ? mean(finite) : null,
    ci95: finite.length > 1 ? tInterval95(finite) : null,
  };
}
const rows = Object.entries(json.methods)
  .map(([method, m]): [string, MethodSummary] => [method, ofMetric(m)])
  .sort(([, a], [, b]) => (b.mean ?? -Infinity) - (a.mean ?? -Infinity));
// Merged comparisons (experiments/merge-comparisons.ts) may hold methods with different seed counts.
const counts = new Set(rows.map(([, m]) => m.seeds.length));
const over = counts.size === 1 ? `${[...counts][0]} seeds` : "each method's seeds";
const out = [
  `| method | ${metric === undefined ? '' : `${metric}: `}mean ± 95 % CI (t, ${over}) | per seed | member-steps | wall s |`,
  '|---|---|---|---|---|',
  ...rows.map(([method, m]) => {
    const half = m.ci95 === null ? null : (m.ci95[1] - m.ci95[0]) / 2;
    return `| ${method} | ${show(m.mean)} ± ${show(half)} | ${m.seeds.map(show).join(' ')} | ${Math.round(m.totalSteps)} | ${Math.round(m.wallSeconds)} |`;
  }),
];
process.stdout.write(`${out.join('\n')}\n`);
