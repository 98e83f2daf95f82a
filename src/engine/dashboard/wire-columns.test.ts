import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../store/store.js';
import { decodeResults, encodeResults } from './wire-columns.js';

const result = (
  over: Partial<ResultRecord> & Pick<ResultRecord, 'id' | 'memberId'>,
): ResultRecord => ({
  experimentId: 'e',
  step: 100,
  score: 0.5,
  metrics: { score: 0.5, loss: 0.5 },
  error: null,
  hparams: { lr: 0.01, optimizer: 'adam' },
  checkpoint: '/srv/pbt/checkpoints/e/ck-1',
  time: 1_767_225_600_000,
  trainSeconds: 0.25,
  ...over,
});

describe('result columns (the wire form of results)', () => {
  const a = { lr: 0.01, optimizer: 'adam' };
  const b = { lr: 0.012, optimizer: 'sgd' };
  const rows: ResultRecord[] = [
    result({ id: 3, memberId: 0, hparams: a, time: 1_767_225_600_010 }),
    result({ id: 4, memberId: 1, hparams: { ...a }, score: 0.7 }),
    // A late commit: a lower id after a higher one, an earlier time.
    result({ id: 2, memberId: 2, hparams: b, time: 1_767_225_599_000 }),
    result({
      id: 9,
      memberId: 0,
      step: 200,
      hparams: b,
      score: null,
      error: 'out of memory',
      checkpoint: null,
    }),
  ];

  it('round-trips every field the page uses; metrics and checkpoint paths stay home', () => {
    const back = decodeResults(encodeResults(rows), 'e');
    expect(back).toEqual(
      rows.map((r) => ({ ...r, metrics: null, checkpoint: r.checkpoint === null ? null : '' })),
    );
    expect(JSON.stringify(encodeResults(rows))).not.toContain('/srv/pbt');
  });

  it('sends each distinct set of hyperparameters once', () => {
    const cols = encodeResults(rows);
    expect(cols.hparamSets).toEqual([a, b]);
    expect(cols.hparams).toEqual([0, 0, 1, 1]);
  });

  it('survives JSON: non-finite scores travel as null like before', () => {
    const cols = JSON.parse(
      JSON.stringify(encodeResults([result({ id: 1, memberId: 0, score: Number.NaN })])),
    ) as ReturnType<typeof encodeResults>;
    expect(decodeResults(cols, 'e')[0]?.score).toBeNull();
  });

  it('is several times smaller than the records for a typical population', () => {
    const many: ResultRecord[] = [];
    const sets = Array.from({ length: 50 }, (_, m) => ({
      lr: 10 ** (-4 + m / 20),
      optimizer: 'adam',
    }));
    for (let k = 1; k <= 40; k++)
      for (let m = 0; m < 50; m++)
        many.push(
          result({
            id: many.length + 1,
            memberId: m,
            step: k * 100,
            score: Math.sin(m * k),
            hparams: sets[m] ?? {},
            checkpoint: `/srv/pbt/checkpoints/e/m${m}-${k}`,
            time: 1_767_225_600_000 + many.length * 10,
          }),
        );
    const records = JSON.stringify(many).length;
    const columns = JSON.stringify(encodeResults(many)).length;
    expect(columns * 4).toBeLessThan(records);
  });
});
