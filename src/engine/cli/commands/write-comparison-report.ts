import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';
import { renderComparisonHtml, type ComparisonView } from '../../report/comparison-chart.js';

/** `pbt report --comparison comparison.json`: the score-vs-compute page next to the file. */
export function writeComparisonReport(file: string, outFile: string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `--comparison ${file}: cannot read it as JSON (${(err as Error).message}); give the comparison.json that \`pbt compare\` wrote`,
    );
  }
  const c = parsed as Partial<ComparisonView>;
  if (typeof c.methods !== 'object' || c.methods === null || !Array.isArray(c.seeds)) {
    throw new ConfigError(
      `--comparison ${file}: not a comparison.json (no "methods" or "seeds"); give the file \`pbt compare\` wrote`,
    );
  }
  const out = outFile ?? file.replace(/\.json$/i, '') + '.html';
  writeFileSync(out, renderComparisonHtml(parsed as ComparisonView));
  return out;
}
