/**
 * A comparison.json (from `pbt compare`) as the Markdown table the README shows: per method the
 * mean ± half-width of the 95 % t-interval, the per-seed scores, member-steps and wall seconds.
 *
 *   node --import tsx experiments/comparison-table.ts results/<task>/comparison.json [--digits 4] [--scale 1]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface MethodSummary {
  readonly seeds: readonly (number | null)[];
  readonly mean: number | null;
  readonly ci95: readonly [number, number] | null;
  readonly totalSteps: number;
  readonly wallSeconds: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { digits: { type: 'string', default: '4' }, scale: { type: 'string', default: '1' } },
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
const rows = Object.entries(json.methods).sort(
  ([, a], [, b]) => (b.mean ?? -Infinity) - (a.mean ?? -Infinity),
);
const out = [
  `| method | mean ± 95 % CI (t, ${json.seeds.length} seeds) | per seed | member-steps | wall s |`,
  '|---|---|---|---|---|',
  ...rows.map(([method, m]) => {
    const half = m.ci95 === null ? null : (m.ci95[1] - m.ci95[0]) / 2;
    return `| ${method} | ${show(m.mean)} ± ${show(half)} | ${m.seeds.map(show).join(' ')} | ${Math.round(m.totalSteps)} | ${Math.round(m.wallSeconds)} |`;
  }),
];
process.stdout.write(`${out.join('\n')}\n`);
