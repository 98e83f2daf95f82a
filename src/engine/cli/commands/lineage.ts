import type { Command } from 'commander';
import { findExperiment, withStore } from '../context.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { renderLineageText } from './lineage-text.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt lineage`. */
export function registerLineage(program: Command, out: Out): void {
  program
    .command('lineage')
    .description('the exploit tree: who copied whom, when, and what explore changed')
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--json', 'the lineage events as JSON')
    .action(async (id: string | undefined, flags: { store: string; json?: boolean }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const e = await findExperiment(store, id);
        const [results, lineage] = await Promise.all([
          store.listResults(e.id),
          store.listLineage(e.id),
        ]);
        if (flags.json) return out(JSON.stringify(lineage, null, 2));
        out(renderLineageText(e, results, lineage));
      });
    });
}
