import { createRng, type Rng } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Hparams, MemberId } from '../core/types.js';
import type { ExperimentRecord, LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';
import type { ReportBaseline, ReportInput } from './report-model.js';

/**
 * A simulated experiment history for report tests and previews (no training happens). Members
 * train a made-up "quality" whose best learning rate decays over model time, so PBT's schedule
 * has something to find. Asynchronous: members run at different speeds, so donors are often
 * ahead of the members that copy them. Deterministic from the seed.
 */
export interface DemoHistoryOptions {
  readonly seed?: number;
  readonly population?: number;
  readonly budgetSteps?: number;
  readonly readyEvery?: number;
  /** Add random-search and fixed-hyperparameter baselines with the same budget. */
  readonly baselines?: boolean;
}

export const DEMO_SPACE: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 0.3 },
  momentum: { type: 'uniform', min: 0.5, max: 0.99 },
  optimizer: { type: 'fixed', value: 'sgd' },
};

const START = Date.UTC(2026, 0, 15, 9, 0, 0);

export function demoHistory(options: DemoHistoryOptions = {}): ReportInput {
  const seed = options.seed ?? 1;
  const population = options.population ?? 8;
  const budget = options.budgetSteps ?? 2000;
  const every = options.readyEvery ?? 100;
  const pbt = simulate('demo-pbt', 'pbt', seed, population, budget, every);
  const baselines: ReportBaseline[] = [];
  if (options.baselines ?? true) {
    const random = simulate('demo-random', 'random', seed, population, budget, every);
    const fixed = simulate('demo-fixed', 'fixed', seed, population, budget, every);
    baselines.push(
      { label: 'random search', experiment: random.experiment, results: random.results },
      { label: 'fixed hparams', experiment: fixed.experiment, results: fixed.results },
    );
  }
  return { ...pbt, baselines, space: DEMO_SPACE };
}

interface SimMember {
  id: MemberId;
  step: number;
  modelSteps: number;
  quality: number;
  hparams: Hparams;
  score: number | null;
  checkpoint: string | null;
  clock: number;
  msPerStep: number;
}

function simulate(
  id: string,
  method: 'pbt' | 'random' | 'fixed',
  seed: number,
  population: number,
  budget: number,
  every: number,
): Pick<ReportInput, 'experiment' | 'members' | 'results' | 'lineage'> {
  const rng = createRng(seed, id);
  const members: SimMember[] = [];
  for (let i = 0; i < population; i++) {
    const init = createRng(seed, 'init', i); // same starting points for PBT and random search
    const hparams: Hparams =
      method === 'fixed'
        ? { lr: 0.05, momentum: 0.9, optimizer: 'sgd' }
        : {
            lr: 10 ** (-4 + init.next() * 3.5),
            momentum: 0.5 + init.next() * 0.49,
            optimizer: 'sgd',
          };
    members.push({
      id: i,
      step: 0,
      modelSteps: 0,
      quality: 0,
      hparams,
      score: null,
      checkpoint: null,
      clock: START,
      msPerStep: 900 + init.next() * 700,
    });
  }
  const results: ResultRecord[] = [];
  const lineage: LineageEvent[] = [];
  for (;;) {
    const active = members.filter((m) => m.step < budget);
    const m = active.sort(
      (a, b) => a.clock + a.msPerStep * every - (b.clock + b.msPerStep * every) || a.id - b.id,
    )[0];
    if (m === undefined) break;
    const before = { quality: m.quality, modelSteps: m.modelSteps };
    train(m, every, rng);
    // One failed ready point: its training is thrown away, as a worker would.
    const failed = method === 'pbt' && m.id === population - 3 && m.step === 7 * every;
    if (failed) {
      m.quality = before.quality;
      m.modelSteps = before.modelSteps;
    } else {
      m.score = evaluate(m, rng);
      m.checkpoint = `ck-${id}-${m.id}-${m.step}`;
    }
    results.push({
      id: results.length + 1,
      experimentId: id,
      memberId: m.id,
      step: m.step,
      score: failed ? null : m.score,
      metrics: failed || m.score === null ? null : { score: m.score, loss: Math.exp(-m.quality) },
      error: failed ? 'loss became NaN' : null,
      hparams: m.hparams,
      checkpoint: failed ? null : m.checkpoint,
      time: m.clock,
      trainSeconds: (m.msPerStep * every) / 1000,
    });
    if (method === 'pbt' && m.step < budget && !failed) exploit(m, members, lineage, rng, id);
  }
  const experiment: ExperimentRecord = {
    id,
    task: 'demo-quadratic',
    config: {
      name: method === 'pbt' ? 'Demo PBT run' : `Demo ${method}`,
      method,
      population,
      budget: { steps: budget },
      ready: { every, unit: 'steps' },
      space: DEMO_SPACE,
    },
    seed,
    status: 'done',
    createdAt: START - 5000,
    populationSize: population,
  };
  const memberRecords: MemberRecord[] = members.map((m) => ({
    id: m.id,
    experimentId: id,
    step: m.step,
    score: m.score,
    lastFailed: false,
    hparams: m.hparams,
    checkpoint: m.checkpoint,
    status: 'done',
    decisionDue: false,
    consecutiveFailures: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    token: 1,
    failureReason: null,
  }));
  return { experiment, members: memberRecords, results, lineage };
}

function train(m: SimMember, steps: number, rng: Rng): void {
  for (let s = 0; s < steps; s += 10) {
    const bestLr = 0.05 * 0.25 ** (m.modelSteps / 1000);
    const lr = Number(m.hparams.lr);
    const lrFit = Math.exp(-(((Math.log10(lr) - Math.log10(bestLr)) / 0.6) ** 2));
    const momFit = Math.exp(-(((Number(m.hparams.momentum) - 0.9) / 0.2) ** 2));
    m.quality += 10 * 0.0012 * lrFit * (0.4 + 0.6 * momFit) * (1 + 0.1 * rng.normal());
    m.modelSteps += 10;
  }
  m.step += steps;
  m.clock += Math.round(m.msPerStep * steps * (1 + 0.05 * rng.normal()));
}

function evaluate(m: SimMember, rng: Rng): number {
  return Math.round((100 * (1 - Math.exp(-m.quality)) + 0.4 * rng.normal()) * 100) / 100;
}

/** Truncation selection (bottom 25% copy one of the top 25%) with perturbation by 0.8/1.2. */
function exploit(
  m: SimMember,
  members: SimMember[],
  lineage: LineageEvent[],
  rng: Rng,
  experimentId: string,
): void {
  const scored = members
    .filter((o) => o.score !== null)
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  const quarter = Math.max(1, Math.floor(members.length / 4));
  if (scored.length < members.length || !scored.slice(-quarter).includes(m)) return;
  const donor = scored[rng.int(quarter)];
  if (donor === undefined || donor === m || donor.checkpoint === null) return;
  const ops: string[] = [];
  const next: Record<string, number | string> = { ...donor.hparams };
  for (const key of ['lr', 'momentum']) {
    const factor = rng.next() < 0.5 ? 0.8 : 1.2;
    const v = Number(donor.hparams[key]) * factor;
    next[key] =
      key === 'momentum' ? Math.min(0.99, Math.max(0.5, v)) : Math.min(0.3, Math.max(1e-4, v));
    ops.push(`${key}*${factor}`);
  }
  lineage.push({
    id: lineage.length + 1,
    experimentId,
    memberId: m.id,
    step: m.step,
    donor: donor.id,
    donorStep: donor.step,
    donorCheckpoint: donor.checkpoint,
    oldHparams: m.hparams,
    newHparams: next,
    operations: ops,
    time: m.clock + 5,
  });
  m.hparams = next;
  m.quality = donor.quality;
  m.modelSteps = donor.modelSteps;
  m.checkpoint = donor.checkpoint;
}
