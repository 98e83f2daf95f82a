import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { parseExperimentConfig } from '../../config/experiment-config.js';
import { ConfigError, PbtError } from '../../core/errors.js';
import { bestMember, scheduleOf } from '../../core/schedule.js';
import { createExperiment } from '../../setup/create-experiment.js';
import { prepareExperiment } from '../../setup/prepare-experiment.js';
import type { Store } from '../../store/store.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import { DEFAULT_STORE, findExperiment, withStore } from '../context.js';
import { formatScore } from '../progress.js';
import { runWithLocalWorkers } from '../run-experiment.js';
import { backendArgs, resolveStoreUrl } from './run.js';

interface ReplayFlags {
  member?: string;
  seed?: string;
  store: string;
  workers?: string;
  backend?: string;
  fixed: boolean;
}

export function registerReplay(
  program: Command,
  log: (line: string) => void,
  tasks: TaskRegistry,
): void {
  program
    .command('replay')
    .description(
      "train a fresh model on a member's recorded hyperparameter schedule (no weights copied), and one fixed at its final hyperparameters",
    )
    .argument('[experiment]', 'experiment id or prefix (default: the newest)')
    .option('--member <id>', 'member whose schedule to replay (default: the best)')
    .option('-s, --seed <n>', 'seed of the fresh model (default: the experiment’s)')
    .option('--store <url>', 'population store URL', DEFAULT_STORE)
    .option('-w, --workers <n>', 'local worker processes (default: number of cores)')
    .option('--backend <name>', 'TensorFlow.js backend: node | wasm | cpu')
    .option('--no-fixed', 'skip the run fixed at the final hyperparameters')
    .action(async (id: string | undefined, flags: ReplayFlags) => {
      const storeUrl = resolveStoreUrl(flags.store);
      await withStore(storeUrl, async (store) => {
        const source = await findExperiment(store, id);
        const runs = await replayRuns(store, source.id, flags);
        const prepared = [];
        for (const raw of runs) prepared.push(await prepareExperiment(raw, tasks));
        // One member each: more than one worker process would only wait.
        const workers = Math.min(
          1,
          flags.workers !== undefined ? Number(flags.workers) : availableParallelism(),
        );
        for (const p of prepared) {
          const exp = await createExperiment(store, p);
          log(`created experiment ${exp.id} (${p.config.method} of ${source.id})`);
          const outcome = await runWithLocalWorkers(
            store,
            storeUrl,
            exp.id,
            workers,
            log,
            backendArgs(flags),
          );
          if (outcome.status === 'stopped') {
            process.exitCode = 130;
            return;
          }
          const [m] = await store.listMembers(exp.id);
          log(`${p.config.method}: score ${formatScore(m?.score ?? null)}`);
        }
      });
    });
}

/** The replay run (and the fixed-at-final run) of a member, as raw experiment configs. */
async function replayRuns(
  store: Store,
  experimentId: string,
  flags: Pick<ReplayFlags, 'member' | 'seed' | 'fixed'>,
): Promise<Record<string, unknown>[]> {
  const experiment = await store.getExperiment(experimentId);
  if (!experiment) throw new PbtError('NOT_FOUND', `no experiment ${experimentId}`);
  const config = parseExperimentConfig(experiment.config, 'stored experiment config');
  const results = await store.listResults(experimentId);
  const lineage = await store.listLineage(experimentId);
  let memberId: number;
  if (flags.member !== undefined) {
    memberId = Number(flags.member);
    if (!Number.isInteger(memberId) || memberId < 0 || memberId >= experiment.populationSize) {
      throw new ConfigError(
        `--member must be a member id between 0 and ${experiment.populationSize - 1}, got "${flags.member}"`,
      );
    }
  } else {
    const best = bestMember(results);
    if (best === null) {
      throw new PbtError('NOT_FOUND', `experiment ${experimentId} has no scored member yet`);
    }
    memberId = best.memberId;
  }
  const schedule = scheduleOf(memberId, results, lineage);
  if (schedule.segments.length === 0) {
    throw new PbtError('NOT_FOUND', `member ${memberId} of ${experimentId} has not trained yet`);
  }
  const seed = flags.seed !== undefined ? Number(flags.seed) : config.seed;
  if (!Number.isInteger(seed) || seed < 0) {
    throw new ConfigError(`--seed must be a whole number >= 0, got "${flags.seed}"`);
  }
  const {
    initialHparams: _initial,
    fixed: _fixed,
    name: _name,
    asha: _asha,
    schedule: _schedule,
    ...base
  } = config;
  const common = {
    ...base,
    population: 1,
    budget: { steps: schedule.modelSteps },
    seed,
    group: config.group ?? experimentId,
    workers: 1,
  };
  const runs: Record<string, unknown>[] = [
    {
      ...common,
      method: 'replay',
      name: `${experimentId}-replay-m${memberId}`,
      schedule: schedule.segments.map((s) => ({ fromStep: s.fromModelStep, hparams: s.hparams })),
    },
  ];
  const final = schedule.segments.at(-1)?.hparams;
  if (flags.fixed && final) {
    runs.push({
      ...common,
      method: 'fixed',
      name: `${experimentId}-final-m${memberId}`,
      fixed: final,
    });
  }
  return runs;
}
