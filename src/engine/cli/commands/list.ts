import type { Command } from 'commander';
import { readExperiments } from '../../store/experiments.js';
import { withStore } from '../context.js';
import { plannedStepsOf } from '../../setup/prepare-experiment.js';
import { formatScore, progressOf } from '../progress.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt list`. */
export function registerList(program: Command, out: Out): void {
  program
    .command('list')
    .description('experiments in the store, newest first')
    .option(...storeOption)
    .action(async (flags: { store: string }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const experiments = await readExperiments(store);
        if (experiments.length === 0)
          return out('no experiments yet; start one with `pbt run toy`');
        for (const e of experiments) {
          const members = await store.listMembers(e.id);
          const cfg = e.config;
          const p = progressOf(members, cfg.budget.steps, plannedStepsOf(cfg));
          out(
            `${e.id}  ${e.status.padEnd(8)} ${cfg.method.padEnd(6)} pop ${String(e.populationSize).padStart(3)}  ` +
              `${p.stepsDone}/${p.stepsTotal} steps  best ${formatScore(p.bestScore)}`,
          );
        }
      });
    });
}
