import { describe, expect, it } from 'vitest';
import { buildLineageGraph } from '../../core/lineage-tree.js';
import { scheduleOf } from '../../core/schedule.js';
import type { LineageEvent, ResultRecord } from '../../store/store.js';
import { svgLineageChart } from './lineage-chart.js';

let id = 1;
const r = (memberId: number, step: number, score: number, lr: number): ResultRecord => ({
  id: id++,
  experimentId: 'e',
  memberId,
  step,
  score,
  metrics: { score },
  error: null,
  hparams: { lr },
  checkpoint: `c${memberId}-${step}`,
  time: id,
  trainSeconds: 1,
});
const ev = (
  eid: number,
  memberId: number,
  step: number,
  donor: number,
  donorStep: number,
): LineageEvent => ({
  id: eid,
  experimentId: 'e',
  memberId,
  step,
  donor,
  donorStep,
  donorCheckpoint: `c${donor}-${donorStep}`,
  oldHparams: {},
  newHparams: { lr: 0.5 },
  operations: ['lr*1.2', 'x<y'],
  time: 100 + eid,
});
const results = [
  r(0, 100, 0.5, 1),
  r(0, 200, 0.9, 1),
  r(1, 100, 0.1, 2),
  r(1, 200, 0.95, 0.5),
  r(2, 100, 0.2, 3),
  r(2, 200, 0.3, 3),
];
const lineage = [ev(1, 1, 100, 0, 100)];

describe('svgLineageChart', () => {
  it('draws a lane per member, an arrow per exploit and the highlighted path', () => {
    const graph = buildLineageGraph(results, lineage);
    const svg = svgLineageChart({
      graph,
      title: 'Lineage',
      highlight: scheduleOf(1, results, lineage),
    });
    for (const m of ['>m0<', '>m1<', '>m2<']) expect(svg).toContain(m);
    expect((svg.match(/marker-end=/g) ?? []).length).toBe(1);
    expect(svg).toContain('m1@100 ⇐ m0@100 (lr*1.2, x&lt;y)');
    expect((svg.match(/fill="#2563eb"><title>/g) ?? []).length).toBe(2); // m0 0–100, m1 100–200
    expect(svg).toContain('-hi)"'); // the arrow on the path uses the accent marker
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const stack: string[] = [];
    for (const [, closing, name = '', selfClosing] of svg.matchAll(
      /<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g,
    )) {
      if (selfClosing === '/') continue;
      if (closing === '/') expect(stack.pop()).toBe(name);
      else stack.push(name);
    }
    expect(stack).toEqual([]);
  });

  it('handles an empty experiment', () => {
    const svg = svgLineageChart({ graph: buildLineageGraph([], []) });
    expect(svg).toContain('<svg');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});
