import type { Command } from 'commander';
import { formatHparams } from '../../core/lineage-tree.js';
import { findExperiment, withStore } from '../context.js';
import { plannedStepsOf } from '../../setup/prepare-experiment.js';
import { formatScore, progressOf } from '../progress.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { storeOption, type Out } from './read-only.js';

/** Failed ready points listed by `pbt status`. */
const FAILURES_SHOWN = 5;

/** `pbt status`. */
export function registerStatus(program: Command, out: Out): void {
  program
    .command('status')
    .description('progress of an experiment and the state of each member')
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, flags: { store: string; json?: boolean }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const e = await findExperiment(store, id);
        const cfg = e.config;
        const members = await store.listMembers(e.id);
        const p = progressOf(members, cfg.budget.steps, plannedStepsOf(cfg));
        if (flags.json)
          return out(JSON.stringify({ experiment: e, progress: p, members }, null, 2));
        out(`${e.id}: ${e.status}, task ${e.task}, method ${cfg.method}, ${cfg.mode}`);
        out(
          `  ${p.stepsDone}/${p.stepsTotal} steps, ${p.membersDone}/${p.population} members done, best ${formatScore(p.bestScore)}${p.bestMember !== null ? ` (member ${p.bestMember})` : ''}`,
        );
        out('  member  status   step      score       hparams');
        for (const m of members) {
          const lease = m.leaseOwner && m.status === 'running' ? `  [${m.leaseOwner}]` : '';
          out(
            `  ${String(m.id).padStart(6)}  ${m.status.padEnd(8)} ${String(m.step).padStart(6)}  ${formatScore(m.score).padStart(10)}  ` +
              `${formatHparams(m.hparams)}${m.failureReason ? `  (${m.failureReason})` : ''}${lease}`,
          );
        }
        // Recovered failures leave no trace on the member: say what went wrong, newest last.
        const failed = (await store.listResults(e.id)).filter((r) => r.error !== null);
        if (failed.length > 0) {
          out(`  ${failed.length} failed ready point${failed.length === 1 ? '' : 's'}; latest:`);
          for (const r of [...failed].sort((a, b) => a.id - b.id).slice(-FAILURES_SHOWN)) {
            out(`    member ${r.memberId} @${r.step}: ${r.error ?? ''}`);
          }
        }
      });
    });
}
