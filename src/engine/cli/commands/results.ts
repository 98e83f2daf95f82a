import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { scheduleOf, bestMember } from '../../core/schedule.js';
import { PbtError } from '../../core/errors.js';
import { formatHparams } from '../../core/lineage-tree.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { formatScore, progressOf } from '../progress.js';
import { parseExperimentConfig } from '../../config/experiment-config.js';
import { resultsToCsv } from '../../export/results-csv.js';
import { renderLineageText } from './lineage-text.js';
import { writeReport } from './write-report.js';
import { resolveStoreUrl } from './run.js';

type Out = (text: string) => void;

/** Read-only commands over the store: they never change an experiment. */
export function registerResultCommands(program: Command, out: Out, tasks: TaskRegistry): void {
  const storeOption = ['--store <url>', 'population store URL', DEFAULT_STORE] as const;

  program
    .command('list')
    .description('experiments in the store, newest first')
    .option(...storeOption)
    .action(async (flags: { store: string }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const experiments = await store.listExperiments();
        if (experiments.length === 0)
          return out('no experiments yet; start one with `pbt run toy`');
        for (const e of experiments) {
          const members = await store.listMembers(e.id);
          const cfg = parseExperimentConfig(e.config, 'stored experiment config');
          const p = progressOf(members, cfg.budget.steps);
          out(
            `${e.id}  ${e.status.padEnd(8)} ${cfg.method.padEnd(6)} pop ${String(e.populationSize).padStart(3)}  ` +
              `${p.stepsDone}/${p.stepsTotal} steps  best ${formatScore(p.bestScore)}`,
          );
        }
      });
    });

  program
    .command('status')
    .description('progress of an experiment and the state of each member')
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, flags: { store: string; json?: boolean }) => {
      await withStore(resolveStoreUrl(flags.store), async (store) => {
        const e = await findExperiment(store, id);
        const cfg = parseExperimentConfig(e.config, 'stored experiment config');
        const members = await store.listMembers(e.id);
        const p = progressOf(members, cfg.budget.steps);
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
      });
    });

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
          throw new PbtError('CONFIG', `--format must be json or csv, got "${flags.format}"`);
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
            writeFileSync(flags.out, text);
            out(`wrote ${results.length} results to ${flags.out}`);
          } else out(text);
        });
      },
    );

  program
    .command('report')
    .description(
      'a self-contained HTML report: the dashboard page with the data inlined (works offline)',
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option(...storeOption)
    .option('--compare <ids...>', 'baseline experiments to compare with (default: the same group)')
    .option('-o, --out <file>', 'output file (default: .pbt/reports/<id>.html)')
    .action(
      async (
        id: string | undefined,
        flags: { store: string; compare?: string[]; out?: string },
      ) => {
        await withStore(resolveStoreUrl(flags.store), async (store) => {
          const file = await writeReport(store, id, flags.compare, flags.out);
          out(`report written to ${file}`);
        });
      },
    );

  program
    .command('tasks')
    .description('the built-in tasks')
    .action(async () => {
      for (const name of tasks.names()) {
        const def = await tasks.resolve(name);
        out(`${name.padEnd(22)} ${def.description}`);
      }
    });
}
