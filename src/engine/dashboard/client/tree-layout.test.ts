import { describe, expect, it } from 'vitest';
import { buildLineageGraph, type LineageGraph } from '../../core/lineage-tree.js';
import type { LineageEvent, ResultRecord } from '../../store/store.js';
import { curvePoints, hitTest, layoutTree, rowAt } from './tree-layout.js';

/** Members 0, 1, 2 with results at steps 10..40; member 2 copies member 0 (at step 20) at its step 20. */
function history(): LineageGraph {
  let id = 1;
  const results: ResultRecord[] = [];
  for (const memberId of [0, 1, 2])
    for (const step of [10, 20, 30, 40])
      results.push({
        id: id++,
        experimentId: 'e',
        memberId,
        step,
        score: step / 100,
        metrics: null,
        error: null,
        hparams: { lr: 0.1 },
        checkpoint: null,
        time: id,
        trainSeconds: 1,
      });
  const lineage: LineageEvent[] = [
    {
      id: 1,
      experimentId: 'e',
      memberId: 2,
      step: 20,
      donor: 0,
      donorStep: 20,
      donorCheckpoint: 'ck',
      oldHparams: { lr: 0.1 },
      newHparams: { lr: 0.12 },
      operations: ['lr*1.2'],
      time: 99,
    },
  ];
  return buildLineageGraph(results, lineage);
}

describe('lineage tree layout', () => {
  it('puts a copy right below the segment it copied, one row per segment', () => {
    const layout = layoutTree(history(), null, 500);
    expect(layout.rows.map((r) => r.key)).toEqual(['0:0', '2:1', '1:0', '2:0']);
    expect(layout.exploits).toHaveLength(1);
    const e = layout.exploits[0];
    expect(e?.row).toBe(1);
    // From the donor's row at the copied step to the copy's row at its step.
    expect(e?.y0).toBe(layout.rows[0]?.y);
    expect(e?.y1).toBe(layout.rows[1]?.y);
    expect(e?.x1).toBe(layout.rows[1]?.x0);
  });

  it('hit-tests dots, bars and curves, and nothing in empty space', () => {
    const layout = layoutTree(history(), null, 500);
    const [m0, copy, m1, m2] = layout.rows;
    const e = layout.exploits[0];
    if (!m0 || !copy || !m1 || !m2 || !e) throw new Error('layout incomplete');
    const dot = hitTest(layout, e.x1, e.y1);
    expect(dot?.kind === 'exploit' && dot.exploit.edge.donor).toBe(0);
    expect(hitTest(layout, (m1.x0 + m1.x1) / 2, m1.y)).toEqual({ kind: 'segment', row: 2 });
    // Member 2's first segment ends at its exploit (step 20): past its end is empty.
    expect(hitTest(layout, m2.x1 + 40, m2.y)).toBeNull();
    expect(hitTest(layout, 0, layout.height - 1)).toBeNull();
    // A point on the curve between the two rows (its middle, t = 1/2).
    const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = curvePoints(e);
    const mid = [(x0 + 3 * c1x + 3 * c2x + x1) / 8, (y0 + 3 * c1y + 3 * c2y + y1) / 8] as const;
    const onCurve = hitTest(layout, mid[0], mid[1]);
    expect(onCurve?.kind).toBe('exploit');
  });

  it('highlights the selected member’s ancestry and dims the rest', () => {
    const layout = layoutTree(history(), 2, 500);
    const on = layout.rows.filter((r) => r.on).map((r) => r.key);
    // Member 2's model: its last segment, copied from member 0's first.
    expect(on).toEqual(['0:0', '2:1']);
    expect(layout.rows.filter((r) => r.dim).map((r) => r.key)).toEqual(['1:0', '2:0']);
    expect(layout.exploits[0]?.on).toBe(true);
  });

  it('keeps a huge tree within what a canvas can hold, rows still tiling it', () => {
    const lanes = Array.from({ length: 25_000 }, (_, memberId) => ({
      memberId,
      lastStep: 10,
      lastScore: null,
      segments: [
        {
          memberId,
          index: 0,
          fromStep: 0,
          toStep: 10,
          hparams: null,
          lastScore: null,
          origin: null,
        },
      ],
    }));
    const layout = layoutTree({ lanes, edges: [], maxStep: 10 }, null, 500);
    expect(layout.height).toBeLessThanOrEqual(30_040);
    const last = layout.rows.length - 1;
    expect(rowAt(layout, layout.rows[last]?.y ?? 0)).toBe(last);
    expect(rowAt(layout, layout.rows[0]?.y ?? 0)).toBe(0);
  });
});
