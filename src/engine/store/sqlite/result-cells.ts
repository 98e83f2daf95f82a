import type { Hparams, Metrics } from '../../core/types.js';
import type { ResultRecord } from '../store.js';

/**
 * Result rows read as arrays (better-sqlite3 `.raw()`) rather than one object per row, and
 * without `experiment_id` (the caller asked for one experiment): at 100,000 rows the dashboard's
 * first read spends most of its time turning SQLite values into JavaScript ones.
 */
export const RESULT_COLUMNS =
  'id, member_id, step, score, metrics, error, hparams, checkpoint, time, train_seconds';

export type ResultCells = [
  id: number,
  memberId: number,
  step: number,
  score: number | null,
  metrics: string | null,
  error: string | null,
  hparams: string,
  checkpoint: string | null,
  time: number,
  trainSeconds: number,
];

/**
 * Records from cells. A member keeps its hyperparameters between exploits, so the same text
 * comes back on most rows: each distinct text is parsed once and its (read-only) object shared.
 */
export function resultsFromCells(
  experimentId: string,
  rows: readonly ResultCells[],
): ResultRecord[] {
  const parsed = new Map<string, Hparams>();
  return rows.map(
    ([id, memberId, step, score, metrics, error, hparamsText, checkpoint, time, trainSeconds]) => {
      let hparams = parsed.get(hparamsText);
      if (hparams === undefined) {
        hparams = JSON.parse(hparamsText) as Hparams;
        parsed.set(hparamsText, hparams);
      }
      return {
        id,
        experimentId,
        memberId,
        step,
        score,
        metrics: metrics === null ? null : (JSON.parse(metrics) as Metrics),
        error,
        hparams,
        checkpoint,
        time,
        trainSeconds,
      };
    },
  );
}
