import { describe, expect, it } from 'vitest';
import type { LineageEvent, ResultRecord } from '../store/store.js';
import {
  buildLineageGraph,
  formatHparams,
  formatNumber,
  renderLineageTimeline,
  renderLineageTree,
} from './lineage-tree.js';
import type { Hparams } from './types.js';

let nextId = 1;
function result(
  memberId: number,
  step: number,
  score: number | null,
  hparams: Hparams,
): ResultRecord {
  const id = nextId++;
  return {
    id,
    experimentId: 'e',
    memberId,
    step,
    score,
    metrics: score === null ? null : { score },
    error: score === null ? 'boom' : null,
    hparams,
    checkpoint: `ck-${memberId}-${step}`,
    time: id,
    trainSeconds: 1,
  };
}
function exploit(
  id: number,
  memberId: number,
  step: number,
  donor: number,
  donorStep: number,
  lr: number,
  ops: string[],
): LineageEvent {
  return {
    id,
    experimentId: 'e',
    memberId,
    step,
    donor,
    donorStep,
    donorCheckpoint: `ck-${donor}-${donorStep}`,
    oldHparams: {},
    newHparams: { lr },
    operations: ops,
    time: 100 + id,
  };
}

// Same history as schedule.test.ts: m1 copies m0@200; m2 copies m0@200 at its step 100, then m1@300.
const results = [
  ...[100, 200, 300, 400].map((s, i) => result(0, s, 0.5 + i / 10, { lr: 0.1 })),
  result(1, 100, 0.2, { lr: 0.01 }),
  result(1, 200, 0.3, { lr: 0.01 }),
  result(1, 300, 0.65, { lr: 0.12 }),
  result(1, 400, 0.7, { lr: 0.12 }),
  result(2, 100, 0.1, { lr: 1 }),
  result(2, 200, 0.55, { lr: 0.08 }),
  result(2, 300, 0.6, { lr: 0.08 }),
  result(2, 400, 0.85, { lr: 0.144 }),
];
const lineage = [
  exploit(1, 2, 100, 0, 200, 0.08, ['lr*0.8']),
  exploit(2, 1, 200, 0, 200, 0.12, ['lr*1.2']),
  exploit(3, 2, 300, 1, 300, 0.144, ['lr*1.2']),
];

describe('buildLineageGraph', () => {
  const graph = buildLineageGraph(results, lineage, [0, 1, 2, 3]);

  it('splits each member lane at its exploits', () => {
    expect(graph.maxStep).toBe(400);
    expect(graph.lanes.map((l) => l.memberId)).toEqual([0, 1, 2, 3]);
    const m2 = graph.lanes[2];
    expect(
      m2?.segments.map((s) => [s.fromStep, s.toStep, s.hparams?.lr, s.lastScore, s.origin?.donor]),
    ).toEqual([
      [0, 100, 1, 0.1, undefined],
      [100, 300, 0.08, 0.6, 0],
      [300, 400, 0.144, 0.85, 1],
    ]);
    expect(m2?.lastScore).toBe(0.85);
    // A member without results yet still gets a lane.
    expect(graph.lanes[3]).toMatchObject({ lastStep: 0, lastScore: null });
  });

  it('links each edge to the donor segment whose weights were copied', () => {
    expect(graph.edges.map((e) => [e.eventId, e.donor, e.donorSegment, e.memberId])).toEqual([
      [1, 0, 0, 2],
      [2, 0, 0, 1],
      [3, 1, 1, 2], // m1 had already exploited at 200, so m1@300 is its second segment
    ]);
  });
});

describe('text rendering', () => {
  const graph = buildLineageGraph(results, lineage);

  it('renders one timeline per member', () => {
    expect(renderLineageTimeline(graph, { highlight: 2 })).toBe(
      [
        ' m0: 0 ── 400   score 0.8',
        ' m1: 0 ── 200 ⇐ m0@200 (lr*1.2) ── 400   score 0.7',
        '★m2: 0 ── 100 ⇐ m0@200 (lr*0.8) ── 300 ⇐ m1@300 (lr*1.2) ── 400   score 0.85',
      ].join('\n'),
    );
  });

  it('renders the exploit tree with the weights’ family relations', () => {
    expect(renderLineageTree(graph, { highlight: 2 })).toBe(
      [
        'm0 0–400  lr=0.1  score 0.8',
        '├─ m2 100–300 ⇐ m0@200 (lr*0.8)  lr=0.08  score 0.6',
        '└─ m1 200–400 ⇐ m0@200 (lr*1.2)  lr=0.12  score 0.7',
        '   └─ m2 300–400 ⇐ m1@300 (lr*1.2)  lr=0.144  score 0.85 ★',
        'm1 0–200  lr=0.01  score 0.3',
        'm2 0–100  lr=1  score 0.1',
      ].join('\n'),
    );
  });

  it('leaves out hyperparameters that never change', () => {
    const rs = [
      result(0, 100, 0.5, { lr: 0.1, opt: 'sgd' }),
      result(1, 100, 0.6, { lr: 0.2, opt: 'sgd' }),
    ];
    const text = renderLineageTree(buildLineageGraph(rs, []));
    expect(text).toBe(['m0 0–100  lr=0.1  score 0.5', 'm1 0–100  lr=0.2  score 0.6'].join('\n'));
  });

  it('handles an empty experiment', () => {
    const empty = buildLineageGraph([], []);
    expect(empty.lanes).toEqual([]);
    expect(renderLineageTimeline(empty)).toBe('');
    expect(renderLineageTree(empty)).toBe('');
  });
});

describe('formatting', () => {
  it('formats numbers compactly', () => {
    expect(formatNumber(0.000123)).toBe('1.23e-4');
    expect(formatNumber(0.1234567)).toBe('0.1235');
    expect(formatNumber(250000)).toBe('2.5e5');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(0)).toBe('0');
    expect(formatHparams({ momentum: 0.9, lr: 1e-4, opt: 'adam' })).toBe(
      'lr=1e-4 momentum=0.9 opt=adam',
    );
  });
});
