import type { Command } from 'commander';
import { withStore } from '../context.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { writeComparisonReport } from './write-comparison-report.js';
import { writeReport } from './write-report.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt report`. */
export function registerReport(program: Command, out: Out): void {
  program
    .command('report')
    .description(
      'a self-contained HTML report: the dashboard page with the data inlined (works offline)',
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--compare <ids...>', 'baseline experiments to compare with (default: the same group)')
    .option('-o, --out <file>', 'output file (default: .pbt/reports/<id>.html)')
    .option('--comparison <file>', 'chart a comparison.json of `pbt compare` instead')
    .action(
      async (
        id: string | undefined,
        flags: { store: string; compare?: string[]; out?: string; comparison?: string },
      ) => {
        if (flags.comparison !== undefined) {
          out(`report written to ${writeComparisonReport(flags.comparison, flags.out)}`);
          return;
        }
        await withStore(resolveStoreUrl(flags.store), async (store) => {
          const file = await writeReport(store, id, flags.compare, flags.out);
          out(`report written to ${file}`);
        });
      },
    );
}
