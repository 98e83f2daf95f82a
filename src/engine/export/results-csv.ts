import type { ResultRecord } from '../store/store.js';

/**
 * One row per evaluation: fixed columns, then one column per metric and per hyperparameter
 * (prefixed `metric.` / `hp.`), the union over all rows, so spreadsheets and pandas read it as is.
 */
export function resultsToCsv(results: readonly ResultRecord[]): string {
  const metricKeys = new Set<string>();
  const hpKeys = new Set<string>();
  for (const r of results) {
    for (const k of Object.keys(r.metrics ?? {})) if (k !== 'score') metricKeys.add(k);
    for (const k of Object.keys(r.hparams)) hpKeys.add(k);
  }
  const metrics = [...metricKeys].sort();
  const hps = [...hpKeys].sort();
  const header = [
    'experiment',
    'member',
    'step',
    'score',
    'error',
    'time',
    'train_seconds',
    'checkpoint',
    ...metrics.map((k) => `metric.${k}`),
    ...hps.map((k) => `hp.${k}`),
  ];
  const rows = results.map((r) => [
    r.experimentId,
    r.memberId,
    r.step,
    r.score ?? '',
    r.error ?? '',
    new Date(r.time).toISOString(),
    r.trainSeconds,
    r.checkpoint ?? '',
    ...metrics.map((k) => r.metrics?.[k] ?? ''),
    ...hps.map((k) => r.hparams[k] ?? ''),
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
