import { readExperiment } from '../store/experiments.js';
import { ConfigError, PbtError } from '../core/errors.js';
import { bestMember, scheduleOf } from '../core/schedule.js';
import type { Store } from '../store/store.js';

/** The replay run (and the fixed-at-final run) of a member, as raw experiment configs. */
export async function replayRuns(
  store: Store,
  experimentId: string,
  flags: { readonly member?: number; readonly seed?: number; readonly fixed: boolean },
): Promise<Record<string, unknown>[]> {
  const experiment = await readExperiment(store, experimentId);
  if (!experiment) throw new PbtError('NOT_FOUND', `no experiment ${experimentId}`);
  const { config } = experiment;
  const results = await store.listResults(experimentId);
  const lineage = await store.listLineage(experimentId);
  let memberId: number;
  if (flags.member !== undefined) {
    memberId = flags.member;
    if (memberId >= experiment.populationSize) {
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
  const seed = flags.seed ?? config.seed;
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
