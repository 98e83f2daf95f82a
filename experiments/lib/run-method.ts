import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readExperiments } from '../../src/engine/store/experiments.js';
import { openStore } from '../../src/engine/store/open-store.js';
import type { ResultRecord } from '../../src/engine/store/store.js';

/** One method (pbt or a baseline) of an experiment script, run through the real CLI. */
export interface MethodRun {
  readonly method: string;
  readonly experimentId: string;
  readonly command: string;
  readonly wallSeconds: number;
  readonly loadAverageBefore: number;
  readonly loadAverageAfter: number;
}

/** What one `pbt run` of an experiment script needs; every script spells the same flags. */
export interface PbtRunSpec {
  readonly task: string;
  /** `key=value` task options, each passed as `--set`. */
  readonly sets: readonly string[];
  readonly method: string;
  readonly population: number;
  readonly budget: number;
  readonly ready: number;
  readonly workers: number;
  readonly seed: number;
  readonly store: string;
  readonly checkpoints: string;
  readonly group: string;
  readonly name: string;
  /** More CLI flags, e.g. `['--backend', 'wasm']`. */
  readonly extra?: readonly string[];
}

/** The `bin/pbt.js run …` argument list for `spec`. */
export function pbtRunArgs(spec: PbtRunSpec): string[] {
  return [
    'bin/pbt.js',
    'run',
    spec.task,
    ...spec.sets.flatMap((s) => ['--set', s]),
    '--method',
    spec.method,
    '--population',
    String(spec.population),
    '--budget',
    String(spec.budget),
    '--ready',
    String(spec.ready),
    '--workers',
    String(spec.workers),
    '--seed',
    String(spec.seed),
    ...(spec.extra ?? []),
    '--store',
    spec.store,
    '--checkpoints',
    spec.checkpoints,
    '--group',
    spec.group,
    '--name',
    spec.name,
  ];
}

/**
 * Run `node bin/pbt.js run …` for `spec`, echo its milestone lines, fail loudly on a non-zero
 * exit, and return the experiment it created (found in the store). `work` is replaced by `$WORK`
 * in the recorded command so results do not carry temp paths.
 */
export async function runMethodThroughCli(
  method: string,
  spec: PbtRunSpec,
  work: string,
): Promise<MethodRun> {
  const args = pbtRunArgs(spec);
  const loadAverageBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const lines = `${r.stdout}\n${r.stderr}`;
  process.stderr.write(
    lines
      .split('\n')
      .filter((l) => /created|done in|stopped|error|failed/i.test(l))
      .join('\n') + '\n',
  );
  if (r.status !== 0)
    throw new Error(`pbt run (${method}) exited with ${r.status}:\n${lines.slice(-3000)}`);
  return {
    method,
    experimentId: await createdExperimentId(spec.store, { ...spec, method }),
    command: `node ${args.join(' ')}`.replaceAll(work, '$WORK'),
    wallSeconds,
    loadAverageBefore,
    loadAverageAfter: loadavg()[0] ?? 0,
  };
}

/** Steps the whole population trained: each member's last recorded step, summed. */
export function sumFinalSteps(results: readonly ResultRecord[]): number {
  const last = new Map<number, number>();
  for (const r of results) last.set(r.memberId, Math.max(last.get(r.memberId) ?? 0, r.step));
  return [...last.values()].reduce((a, b) => a + b, 0);
}

/**
 * The experiment a `pbt run` created, read through the library API: the newest in the store
 * with this group, name and method (each script run uses a fresh group).
 */
export async function createdExperimentId(
  storeUrl: string,
  run: { readonly group: string; readonly name: string; readonly method: string },
): Promise<string> {
  const store = await openStore(storeUrl);
  try {
    const found = (await readExperiments(store)).find(
      (e) =>
        e.config.group === run.group &&
        e.config.name === run.name &&
        e.config.method === run.method,
    );
    if (found === undefined) {
      throw new Error(
        `no ${run.method} experiment "${run.name}" of group ${run.group} in ${storeUrl}`,
      );
    }
    return found.id;
  } finally {
    await store.close();
  }
}
