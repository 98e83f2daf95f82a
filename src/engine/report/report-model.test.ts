import { describe, expect, it } from 'vitest';
import type { Hparams } from '../core/types.js';
import type { ExperimentRecord, LineageEvent, MemberRecord, ResultRecord } from '../store/store.js';
import { bestSoFarCurve, buildComparison, buildReportModel } from './report-model.js';

const T0 = 1_700_000_000_000;
let nextId = 1;
function result(
  experimentId: string,
  memberId: number,
  step: number,
  score: number | null,
  hparams: Hparams,
  time: number,
): ResultRecord {
  return {
    id: nextId++,
    experimentId,
    memberId,
    step,
    score,
    metrics: score === null ? null : { score },
    error: score === null ? 'boom' : null,
    hparams,
    checkpoint: score === null ? null : `ck-${memberId}-${step}`,
    time: T0 + time,
    trainSeconds: 2,
  };
}
function experiment(id: string, config: unknown, populationSize = 2): ExperimentRecord {
  return { id, task: 'toy', config, seed: 7, status: 'done', createdAt: T0, populationSize };
}
function member(
  id: number,
  step: number,
  score: number | null,
  status: MemberRecord['status'] = 'done',
): MemberRecord {
  return {
    id,
    experimentId: 'pbt',
    step,
    score,
    lastFailed: false,
    hparams: {},
    checkpoint: null,
    status,
    decisionDue: false,
    consecutiveFailures: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    token: 1,
    failureReason: null,
  };
}

const h0 = { lr: 0.1, momentum: 0.9, wd: 1e-5, opt: 'sgd', act: 'relu' };
const h1 = { lr: 0.001, momentum: 0.8, wd: 1e-2, opt: 'sgd', act: 'tanh' };
const h1b = { ...h0, lr: 0.12 };
const results = [
  result('pbt', 0, 100, 0.5, h0, 10_000),
  result('pbt', 1, 100, 0.2, h1, 12_000),
  result('pbt', 0, 200, 0.6, h0, 20_000),
  result('pbt', 1, 200, 0.65, h1b, 22_000),
  result('pbt', 0, 300, 0.7, h0, 30_000),
  result('pbt', 1, 300, 0.8, h1b, 32_000),
];
const lineage: LineageEvent[] = [
  {
    id: 1,
    experimentId: 'pbt',
    memberId: 1,
    step: 100,
    donor: 0,
    donorStep: 100,
    donorCheckpoint: 'ck-0-100',
    oldHparams: h1,
    newHparams: h1b,
    operations: ['lr*1.2'],
    time: T0 + 12_500,
  },
];
const config = {
  name: 'tiny',
  method: 'pbt',
  budget: { steps: 300 },
  space: {
    lr: { type: 'loguniform', min: 1e-4, max: 1 },
    momentum: { type: 'uniform', min: 0.5, max: 0.99 },
  },
};

describe('buildReportModel', () => {
  const model = buildReportModel({
    experiment: experiment('pbt', config),
    members: [member(0, 300, 0.7), member(1, 300, 0.8)],
    results,
    lineage,
  });

  it('summarises the experiment', () => {
    expect(model.title).toBe('tiny — toy');
    expect(model.summary).toMatchObject({
      experimentId: 'pbt',
      name: 'tiny',
      task: 'toy',
      method: 'pbt',
      populationSize: 2,
      budgetSteps: 300,
      bestMember: 1,
      bestScore: 0.8,
      totalSteps: 600,
      exploitCount: 1,
      resultCount: 6,
      failedResults: 0,
      membersDone: 2,
      wallSeconds: 22,
      trainSeconds: 12,
      constants: { opt: 'sgd' },
    });
    expect(model.comparison).toBeNull();
  });

  it('gives a score series per member and a step-shaped series per varying hyperparameter', () => {
    expect(model.scores.map((s) => [s.name, s.points])).toEqual([
      [
        'm0',
        [
          [100, 0.5],
          [200, 0.6],
          [300, 0.7],
        ],
      ],
      [
        'm1',
        [
          [100, 0.2],
          [200, 0.65],
          [300, 0.8],
        ],
      ],
    ]);
    expect(model.hparams.map((h) => h.name)).toEqual(['act', 'lr', 'momentum', 'wd']);
    const lr = model.hparams.find((h) => h.name === 'lr');
    expect(lr?.log).toBe(true); // loguniform in the space
    expect(lr?.series[1]?.points).toEqual([
      [0, 0.001],
      [100, 0.001],
      [100, 0.12],
      [200, 0.12],
      [300, 0.12],
    ]);
    expect(model.hparams.find((h) => h.name === 'momentum')?.log).toBe(false); // uniform in the space
    expect(model.hparams.find((h) => h.name === 'wd')?.log).toBe(true); // inferred: 3 decades
    const act = model.hparams.find((h) => h.name === 'act');
    expect(act?.categories).toEqual(['relu', 'tanh']);
    expect(act?.series[1]?.points[0]).toEqual([0, 1]);
  });

  it('explains the best member with its full schedule', () => {
    const s = model.schedule?.schedule;
    expect(s?.memberId).toBe(1);
    expect(
      s?.segments.map((seg) => [seg.memberId, seg.fromModelStep, seg.toModelStep, seg.hparams.lr]),
    ).toEqual([
      [0, 0, 100, 0.1],
      [1, 100, 300, 0.12],
    ]);
    expect(model.schedule?.series.find((x) => x.name === 'lr')?.points).toEqual([
      [0, 0.1],
      [100, 0.1],
      [100, 0.12],
      [300, 0.12],
    ]);
    expect(model.lineage.edges).toHaveLength(1);
  });

  it('skips failed members when choosing the best', () => {
    const m = buildReportModel({
      experiment: experiment('pbt', config),
      members: [member(0, 300, 0.7), member(1, 300, 0.8, 'failed')],
      results,
      lineage,
    });
    expect(m.summary.bestMember).toBe(0);
    expect(m.summary.failedMembers).toBe(1);
  });

  it('handles an experiment without results', () => {
    const m = buildReportModel({
      experiment: experiment('empty', { budget: 50 }),
      members: [member(0, 0, null, 'pending')],
      results: [],
      lineage: [],
    });
    expect(m.summary).toMatchObject({
      bestMember: null,
      bestScore: null,
      totalSteps: 0,
      wallSeconds: null,
      budgetSteps: 50,
      method: 'pbt',
    });
    expect(m.schedule).toBeNull();
    expect(m.scores).toEqual([]);
    expect(m.lineage.lanes).toHaveLength(1);
  });
});

describe('comparison at equal compute', () => {
  it('tracks the best score so far against population compute, in time order', () => {
    const rs = [
      result('b', 0, 100, 0.3, {}, 1),
      result('b', 1, 100, 0.5, {}, 2),
      result('b', 0, 200, 0.4, {}, 3),
      result('b', 1, 200, null, {}, 4),
      result('b', 0, 300, 0.9, {}, 5),
    ];
    expect(bestSoFarCurve([...rs].reverse())).toEqual([
      [100, 0.3],
      [200, 0.5],
      [500, 0.9],
    ]);
    expect(bestSoFarCurve([])).toEqual([]);
  });

  it('compares PBT with baselines: best final score and steps to reach the threshold', () => {
    const baseline = [
      result('rs', 0, 100, 0.3, {}, 1),
      result('rs', 1, 100, 0.4, {}, 2),
      result('rs', 0, 200, 0.45, {}, 3),
      result('rs', 1, 200, 0.5, {}, 4),
      result('rs', 0, 300, 0.55, {}, 5),
      result('rs', 1, 300, 0.6, {}, 6),
    ];
    const model = buildReportModel({
      experiment: experiment('pbt', config),
      members: [],
      results,
      lineage,
      baselines: [
        {
          label: 'random search',
          experiment: experiment('rs', { method: 'random' }),
          results: baseline,
        },
      ],
    });
    const c = model.comparison;
    expect(c?.threshold).toBe(0.6); // the lower of the two best final scores
    expect(c?.equalBudget).toBe(true);
    expect(
      c?.rows.map((r) => [r.label, r.method, r.bestFinalScore, r.totalSteps, r.stepsToThreshold]),
    ).toEqual([
      ['PBT', 'pbt', 0.8, 600, 300],
      ['random search', 'random', 0.6, 600, 600],
    ]);
    expect(c?.series.map((s) => s.name)).toEqual(['PBT', 'random search']);

    const strict = buildComparison(
      [
        { label: 'a', experiment: experiment('pbt', config), results },
        { label: 'b', experiment: experiment('rs', {}), results: baseline.slice(0, 2) },
      ],
      0.75,
    );
    expect(strict.rows.map((r) => r.stepsToThreshold)).toEqual([600, null]);
    expect(strict.equalBudget).toBe(false);
  });
});
