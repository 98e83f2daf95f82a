import type { Command } from 'commander';
import { scheduleOf, bestMember } from '../../core/schedule.js';
import { PbtError } from '../../core/errors.js';
import { formatHparams } from '../../core/lineage-tree.js';
import { findExperiment, withStore } from '../context.js';
import { formatScore } from '../progress.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt best`. */
export function registerBest(program: Command, out: Out): void {
  program
    .command('best')
    .description(
      'the best member, its score, and the full hyperparameter schedule that produced it',
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, flags: { store: string; json?: boolean }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const e = await findExperiment(store, id);
        const [members, results, lineage] = await Promise.all([
          store.listMembers(e.id),
          store.listResults(e.id),
          store.listLineage(e.id),
        ]);
        const best = bestMember(members);
        if (!best)
          throw new PbtError('NOT_FOUND', `experiment ${e.id} has no evaluated member yet`);
        const member = members.find((m) => m.id === best.memberId);
        const schedule = scheduleOf(best.memberId, results, lineage);
        if (flags.json) {
          return out(
            JSON.stringify(
              {
                experiment: e.id,
                member: best.memberId,
                score: best.score,
                step: best.step,
                checkpoint: member?.checkpoint ?? null,
                hparams: member?.hparams,
                schedule,
              },
              null,
              2,
            ),
          );
        }
        out(
          `best member ${best.memberId} of ${e.id}: score ${formatScore(best.score)} at step ${best.step}`,
        );
        out(`  checkpoint ${member?.checkpoint ?? '—'}`);
        out(`  final hyperparameters ${formatHparams(member?.hparams ?? {})}`);
        out(
          `  schedule (${schedule.modelSteps} model steps, ${schedule.exploits.length} exploits on its path):`,
        );
        for (const seg of schedule.segments) {
          out(
            `    steps ${String(seg.fromModelStep).padStart(6)}–${String(seg.toModelStep).padEnd(6)} member ${String(seg.memberId).padStart(3)}  ${formatHparams(seg.hparams)}`,
          );
        }
      });
    });
}
