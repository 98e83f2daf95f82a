import type { Metrics } from '../core/types.js';
import { mean, sampleSd, tInterval95 } from './stats.js';

/** The comparison.json schema (one for every task) and how a method's runs are summarised. */

export interface RunSummary {
  readonly seed: number;
  readonly experiments: readonly string[];
  readonly member: { readonly experiment: string; readonly id: number } | null;
  readonly validationScore: number | null;
  readonly score: number | null;
  /** Every metric of the picked member's last evaluation (e.g. a trainable's test_accuracy). */
  readonly metrics: Metrics | null;
  readonly hparams: Record<string, unknown> | null;
  readonly totalSteps: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /**
   * Best validation score at each tenth of the run's member-steps (`CURVE_FRACTIONS`); kept per
   * run so comparisons run apart (other seeds, another session) can be merged. Absent in files
   * written before it was added.
   */
  readonly curve?: readonly (number | null)[];
}

/** Best validation score so far against member-steps spent, at tenths of the run, over seeds. */
export interface ComputeCurve {
  readonly steps: number[];
  readonly mean: (number | null)[];
  readonly ci95: ([number, number] | null)[];
}

export interface MethodSummary {
  readonly seeds: (number | null)[];
  readonly curve: ComputeCurve;
  readonly mean: number | null;
  readonly sd: number | null;
  readonly ci95: [number, number] | null;
  readonly totalSteps: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly runs: readonly RunSummary[];
}

export interface ComparisonJson {
  readonly id: string;
  readonly task: string;
  readonly metric: string;
  readonly higherIsBetter: true;
  readonly finalScore: string;
  readonly interval: string;
  readonly population: number;
  readonly budgetSteps: number;
  readonly seeds: readonly number[];
  readonly methods: Record<string, MethodSummary>;
  readonly loadAverage: readonly number[];
  readonly writtenAt: string;
}

export const CURVE_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

/**
 * A method's summary from its runs (one per seed, in seed order): mean, sd and t-interval of
 * the final scores, and the anytime curve's mean and interval where every run has a value.
 */
export function summarizeMethod(runs: readonly RunSummary[]): MethodSummary {
  const scores = runs.map((r) => r.score);
  const finite = scores.filter((s): s is number => s !== null);
  const totalSteps = mean(runs.map((r) => r.totalSteps));
  const atFraction = (i: number): number[] | null => {
    const ys = runs.map((r) => r.curve?.[i] ?? null);
    return ys.every((y): y is number => y !== null) ? ys : null;
  };
  return {
    seeds: scores,
    curve: {
      steps: CURVE_FRACTIONS.map((f) => Math.round(f * totalSteps)),
      mean: CURVE_FRACTIONS.map((_, i) => {
        const ys = atFraction(i);
        return ys ? mean(ys) : null;
      }),
      ci95: CURVE_FRACTIONS.map((_, i) => {
        const ys = atFraction(i);
        return ys ? tInterval95(ys) : null;
      }),
    },
    mean: finite.length > 0 ? mean(finite) : null,
    sd: finite.length > 0 ? sampleSd(finite) : null,
    ci95: finite.length > 0 ? tInterval95(finite) : null,
    totalSteps,
    wallSeconds: mean(runs.map((r) => r.wallSeconds)),
    cpuSeconds: mean(runs.map((r) => r.cpuSeconds)),
    runs,
  };
}

/**
 * One line of `pbt compare`'s summary. A run whose every member failed has no model and no
 * score, and the mean is over the other seeds: the line says how many there were.
 */
export function methodLine(method: string, m: MethodSummary): string {
  const ci = m.ci95 ? `[${m.ci95[0].toFixed(4)}, ${m.ci95[1].toFixed(4)}]` : '—';
  const scored = m.seeds.filter((x) => x !== null).length;
  const over =
    scored === m.seeds.length
      ? `${scored} seeds`
      : `${scored} of ${m.seeds.length} seeds (${m.seeds.length - scored} without a model: every member failed)`;
  return `  ${method.padEnd(7)} mean ${m.mean?.toFixed(4) ?? '—'} 95% CI ${ci} over ${over}, ${m.totalSteps} steps, ${m.wallSeconds.toFixed(1)} s`;
}
