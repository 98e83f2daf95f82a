import type { Command } from 'commander';
import { scheduleOf, bestMember } from '../../core/schedule.js';
import { PbtError } from '../../core/errors.js';
import { formatHparams } from '../../core/lineage-tree.js';
import type { Metrics } from '../../core/types.js';
import { prepareStoredExperiment } from '../../setup/prepare-experiment.js';
import type { Experiment } from '../../store/experiments.js';
import type { MemberRecord } from '../../store/store.js';
import { evaluateCheckpoint, evaluationContext } from '../../tasks/evaluate-checkpoint.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { checkpointsOf, findExperiment, withStore } from '../context.js';
import { formatScore } from '../progress.js';
import { resolveStoreUrl } from '../../store/store-url.js';
import { storeOption, type Out } from './read-only.js';

/** `pbt best`. */
export function registerBest(program: Command, out: Out, tasks: TaskRegistry): void {
  program
    .command('best')
    .description(
      'the best member, its score, and the full hyperparameter schedule that produced it',
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--json', 'machine-readable output')
    .option(
      '--evaluate <split>',
      "also score the best member's checkpoint on a split of the task's data (e.g. test)",
    )
    .action(async (id: string | undefined, flags: BestFlags) => {
      const storeUrl = resolveStoreUrl(flags.store);
      await withStore(storeUrl, async (store) => {
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
        const evaluation =
          flags.evaluate === undefined || member === undefined
            ? undefined
            : {
                split: flags.evaluate,
                metrics: await evaluateMember(e, member, flags.evaluate, tasks, storeUrl),
              };
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
                ...(evaluation ? { evaluation } : {}),
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
        if (evaluation) {
          out(
            `  on split ${evaluation.split}: ${Object.entries(evaluation.metrics)
              .map(([k, v]) => `${k} ${formatScore(v)}`)
              .join(', ')}`,
          );
        }
      });
    });
}

interface BestFlags {
  store: string;
  json?: boolean;
  evaluate?: string;
}

/** The task's own evaluation of a member's current checkpoint on a named split. */
async function evaluateMember(
  experiment: Experiment,
  member: MemberRecord,
  split: string,
  tasks: TaskRegistry,
  storeUrl: string,
): Promise<Metrics> {
  if (member.checkpoint === null) {
    throw new PbtError('NOT_FOUND', `member ${member.id} of ${experiment.id} has no checkpoint`);
  }
  const { task } = await prepareStoredExperiment(experiment.config, tasks);
  const checkpoints = checkpointsOf(experiment, undefined, storeUrl);
  let bytes: Uint8Array;
  try {
    bytes = await checkpoints.get(member.checkpoint);
  } finally {
    await checkpoints.close?.();
  }
  return evaluateCheckpoint(task, bytes, member.hparams, split, evaluationContext(experiment.seed));
}
