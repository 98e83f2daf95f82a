import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import { resultsToCsv } from '../../export/results-csv.js';
import { findExperiment, withStore } from '../context.js';
import { redactPassword, resolveStoreUrl } from '../../store/store-url.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt export`. */
export function registerExport(program: Command, out: Out): void {
  program
    .command('export')
    .description('every evaluation result (and the lineage) as JSON or CSV')
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('-f, --format <format>', 'json | csv', 'json')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(
      async (id: string | undefined, flags: { store: string; format: string; out?: string }) => {
        if (flags.format !== 'json' && flags.format !== 'csv')
          throw new ConfigError(`--format must be json or csv, got "${flags.format}"`);
        await withStore(resolveStoreUrl(flags.store), async (store) => {
          const e = await findExperiment(store, id);
          const [members, results, lineage] = await Promise.all([
            store.listMembers(e.id),
            store.listResults(e.id),
            store.listLineage(e.id),
          ]);
          const text =
            flags.format === 'csv'
              ? resultsToCsv(results)
              : JSON.stringify({ experiment: e, members, results, lineage }, null, 2);
          if (flags.out) {
            writeFileSync(flags.out, redactPassword(text));
            out(`wrote ${results.length} results to ${flags.out}`);
          } else out(text);
        });
      },
    );
}
