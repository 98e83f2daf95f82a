/**
 * Merge comparison.json files of one task and setting, written by separate `pbt compare` runs
 * (PBT and fixed first, the other methods later; or seeds run in different sessions), into one
 * file and its HTML page (rules: `src/engine/compare/merge.ts`).
 *
 *   node --import tsx experiments/merge-comparisons.ts -o results/gan/comparison.json \
 *     results/gan/comparison.json /tmp/gan-more.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/engine/core/errors.js';
import { mergeComparisons } from '../src/engine/compare/merge.js';
import { renderComparisonHtml } from '../src/engine/report/comparison-chart.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', short: 'o' } },
});
if (values.out === undefined || positionals.length < 2) {
  process.stderr.write('usage: merge-comparisons.ts -o <out.json> <a.json> <b.json> [...]\n');
  process.exit(2);
}
try {
  const merged = mergeComparisons(
    positionals.map((name) => ({ name, json: JSON.parse(readFileSync(name, 'utf8')) as never })),
  );
  writeFileSync(values.out, `${JSON.stringify(merged, null, 2)}\n`);
  const html = values.out.replace(/\.json$/i, '') + '.html';
  writeFileSync(html, renderComparisonHtml(merged));
  process.stdout.write(
    `merged ${Object.keys(merged.methods).join(', ')} (seeds ${merged.seeds.join(', ')}) into ${values.out} and ${html}\n`,
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
