/**
 * Merge comparison.json files of one task and setting, written by separate `pbt compare` runs
 * (PBT and fixed first, the other methods later; or seeds run in different sessions), into one
 * file and its HTML page (rules: `src/engine/compare/merge.ts`).
 *
 *   node --import tsx experiments/merge-comparisons.ts -o results/gan/comparison.json \
 *     results/gan/comparison.json /tmp/gan-more.json
 *
 * `file.json=fixed,pbt` takes only those methods from that file (e.g. a baseline that does not
 * depend on a setting changed since, such as the search space for 'fixed').
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
  process.stderr.write(
    'usage: merge-comparisons.ts -o <out.json> <a.json>[=method,…] <b.json>[=method,…] [...]\n',
  );
  process.exit(2);
}
try {
  const merged = mergeComparisons(positionals.map((arg) => input(arg)));
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

/** One input: a comparison file, with only the methods named after `=` when there are some. */
function input(arg: string): { name: string; json: never } {
  const at = arg.lastIndexOf('=');
  const name = at < 0 ? arg : arg.slice(0, at);
  const json = JSON.parse(readFileSync(name, 'utf8')) as { methods: Record<string, unknown> };
  if (at >= 0) {
    const wanted = arg.slice(at + 1).split(',');
    const missing = wanted.filter((m) => !(m in json.methods));
    if (missing.length > 0) {
      throw new ConfigError(`merge: ${name} has no method ${missing.join(', ')}`);
    }
    json.methods = Object.fromEntries(
      Object.entries(json.methods).filter(([m]) => wanted.includes(m)),
    );
  }
  return { name: arg, json: json as never };
}
