import { ConfigError } from '../core/errors.js';
import { summarizeMethod, type ComparisonJson, type RunSummary } from './summary.js';

/** One input of a merge, kept in the merged file so each part's id, load and time stay known. */
export interface ComparisonPart {
  readonly id: string;
  readonly methods: readonly string[];
  readonly seeds: readonly number[];
  readonly loadAverage: readonly number[];
  readonly writtenAt: string;
}

export type MergedComparison = ComparisonJson & { readonly parts: readonly ComparisonPart[] };

type Input = ComparisonJson & { readonly parts?: readonly ComparisonPart[] };

/**
 * Comparisons of one task and setting run apart (other methods later, other seeds in another
 * session) as one comparison. They must agree on task, metric, population and budget, or the
 * methods did not get the same compute; a (method, seed) run in two inputs is an error. A method
 * whose seeds come from several inputs is summarised again from its runs; a method's runs must
 * carry their curves for that (files written by `pbt compare` before curves were kept per run
 * can be merged by method only).
 */
export function mergeComparisons(
  inputs: readonly { readonly name: string; readonly json: Input }[],
): MergedComparison {
  const first = inputs[0];
  if (first === undefined) throw new ConfigError('merge: give at least one comparison.json');
  for (const { name, json } of inputs) {
    for (const key of ['task', 'metric', 'population', 'budgetSteps'] as const) {
      if (json[key] !== first.json[key]) {
        throw new ConfigError(
          `merge: ${name} has ${key} ${String(json[key])} but ${first.name} has ${String(first.json[key])}; only runs of the same setting share a table`,
        );
      }
    }
  }

  const runsOf = new Map<string, { runs: RunSummary[]; from: string[] }>();
  const parts: ComparisonPart[] = [];
  for (const { name, json } of inputs) {
    for (const [method, summary] of Object.entries(json.methods)) {
      const entry = runsOf.get(method) ?? { runs: [], from: [] };
      for (const run of summary.runs) {
        if (entry.runs.some((r) => r.seed === run.seed)) {
          throw new ConfigError(
            `merge: ${name} has ${method} seed ${run.seed}, which an earlier input already has`,
          );
        }
        entry.runs.push(run);
      }
      entry.from.push(name);
      runsOf.set(method, entry);
    }
    parts.push(
      ...(json.parts ?? [
        {
          id: json.id,
          methods: Object.keys(json.methods),
          seeds: json.seeds,
          loadAverage: json.loadAverage,
          writtenAt: json.writtenAt,
        },
      ]),
    );
  }

  const methods: ComparisonJson['methods'] = {};
  for (const [method, { runs, from }] of runsOf) {
    if (from.length > 1 && runs.some((r) => r.curve === undefined)) {
      throw new ConfigError(
        `merge: ${method}'s seeds come from ${from.join(' and ')}, but some runs carry no curve (written by an older pbt compare); merge those by method only`,
      );
    }
    const single = from.length === 1 ? inputs.find((i) => i.name === from[0]) : undefined;
    methods[method] =
      single?.json.methods[method] ?? summarizeMethod([...runs].sort((a, b) => a.seed - b.seed));
  }
  const seeds = [...new Set(Object.values(methods).flatMap((m) => m.runs.map((r) => r.seed)))];
  const last = [...parts].sort((a, b) => a.writtenAt.localeCompare(b.writtenAt)).at(-1);
  return {
    ...first.json,
    id: parts.map((p) => p.id).join('+'),
    seeds: seeds.sort((a, b) => a - b),
    methods,
    // The page says "load average at the end": that of the part written last.
    loadAverage: last?.loadAverage ?? first.json.loadAverage,
    writtenAt: new Date().toISOString(),
    parts,
  };
}
