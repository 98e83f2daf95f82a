/**
 * Population-store throughput: ready points (each with its exploit/explore decision) per second
 * and their latency, against PostgreSQL and SQLite, with 1 and 8 concurrent worker processes
 * on a no-op task (population 256); PostgreSQL again with 8 processes after the history has
 * grown (1,000 members, 100,000 results); and, when Debian's python3-optuna and
 * python3-psycopg2 are installed, Optuna's RDB storage on the same PostgreSQL (trials/s, no-op
 * objective, 8 processes), all in one run. `targets` in the output judges issue 17's targets.
 *
 *   node --import tsx bench/store.ts [--seconds 10] [--workers 1,8] [--skip-optuna]
 *     [--stores postgres,postgres-separate,postgres-grown,postgres-async-commit,sqlite,sqlite-separate]
 *     [--postgres postgres://…/test] [--append] [--profile DIR] [--out FILE]
 *
 * Each worker process runs the store calls the real worker loop makes at one ready point, with
 * no task work in between: claimMember (only while the experiment runs; getExperiment only when
 * it found nothing), applyDecision (the real PBT decide: truncation 25 %, perturb ×0.8/×1.2),
 * recordResult with release — and the next claim in that same write (Store.recordAndClaim:
 * on PostgreSQL a ready point is then two round trips, on SQLite two write transactions);
 * 'postgres-separate' and 'sqlite-separate' run the same with the record and the claim as two
 * calls (three round trips / transactions, the cycle before), side by side. Every
 * member has a first result before the clock starts, so every claim carries a decision. A
 * cycle's latency is the time from the claim (or the record that made it) to the record; the
 * decision latency is applyDecision's alone. Processes start together after a warm-up, run for
 * `--seconds`, and report every sample. Writes results/bench/store.json (or `--out`), with the
 * machine's load average (the machine is shared);
 * `--append` adds the run as one more repetition.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createRng } from '../src/engine/core/rng.js';
import type { SearchSpace } from '../src/engine/core/space-types.js';
import { decide } from '../src/engine/strategies/decide.js';
import { openStore } from '../src/engine/store/open-store.js';
import { withSchema } from '../src/engine/store/postgres/connection.js';
import { recordThenClaim } from '../src/engine/store/record-then-claim.js';
import type { Lease, Store } from '../src/engine/store/store.js';

const POPULATION = 256;
const WARMUP_MS = 1_000;
const SPACE: SearchSpace = {
  h0: { type: 'uniform', min: 0, max: 1 },
  h1: { type: 'uniform', min: 0, max: 1 },
};
const DECIDE_CONFIG = {
  exploit: { kind: 'truncation', fraction: 0.25 },
  explore: { perturbFactors: [0.8, 1.2] },
  ready: { kind: 'steps', every: 1, burnIn: 0 },
} as const;

interface ChildReport {
  cycles: number;
  decisions: number;
  exploits: number;
  emptyClaims: number;
  errors: number;
  firstError?: string;
  /** CPU time (user + system) this process spent while the clock ran. */
  cpuMs: number;
  readonly cycleMs: number[];
  readonly decisionMs: number[];
}

/**
 * PostgreSQL as configured; the same after the history has grown (GROWN_POPULATION members and
 * GROWN_HISTORY results before the clock starts); PostgreSQL without waiting for the WAL flush
 * at any commit; SQLite.
 */
type StoreKind =
  | 'postgres'
  | 'postgres-separate'
  | 'postgres-grown'
  | 'postgres-async-commit'
  | 'sqlite'
  | 'sqlite-separate';

/** The record and the next claim as two calls (the cycle before Store.recordAndClaim). */
const isSeparate = (kind: StoreKind): boolean => kind.endsWith('-separate');
const isSqlite = (kind: StoreKind): boolean => kind.startsWith('sqlite');

const GROWN_POPULATION = 1_000;
const GROWN_HISTORY = 100_000;

interface RunSummary {
  readonly store: StoreKind;
  readonly workers: number;
  readonly population: number;
  /** Results in the store before the clock started. */
  readonly historyResults: number;
  readonly seconds: number;
  readonly readyPointsPerSecond: number;
  readonly decisionsPerSecond: number;
  readonly exploitFraction: number;
  readonly cycleMs: { p50: number; p99: number; max: number };
  readonly decisionMs: { p50: number; p99: number; max: number };
  readonly emptyClaims: number;
  /** The worker processes' CPU time per ready point (all processes, while the clock ran). */
  readonly clientCpuMsPerReadyPoint: number;
  /**
   * PostgreSQL's CPU time per ready point when the server runs on this machine: the CPU of
   * every server process that exited during the run (the bench's own sessions end with it; any
   * other client's that ended meanwhile too), read from /proc. Null when not measurable.
   */
  readonly serverCpuMsPerReadyPoint: number | null;
  /** Cycles that failed (e.g. SQLite busy timeout), and the first such error. */
  readonly errors: number;
  readonly firstError?: string;
  readonly loadAverageBefore: number[];
  readonly loadAverageAfter: number[];
}

const SELF = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(SELF), '..');

function arg(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

function firstErrorOf(reports: readonly ChildReport[]): { firstError?: string } {
  const message = reports.find((r) => r.firstError !== undefined)?.firstError;
  return message === undefined ? {} : { firstError: message };
}

/** One worker process: loops ready points until the deadline, then prints its samples. */
async function child(
  url: string,
  experimentId: string,
  workerId: string,
  separate: boolean,
): Promise<void> {
  const store = await openStore(url);
  process.stdout.write('ready\n');
  const go = await new Promise<{ startAt: number; endAt: number }>((resolve) => {
    process.stdin.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as never));
  });
  while (Date.now() < go.startAt - WARMUP_MS) await sleep(5);
  const report: ChildReport = {
    cycles: 0,
    decisions: 0,
    exploits: 0,
    emptyClaims: 0,
    errors: 0,
    cpuMs: 0,
    cycleMs: [],
    decisionMs: [],
  };
  const rng = createRng('bench', workerId);
  // The member claimed together with the last record (recordThenClaim), as the worker does.
  let ahead: Lease | null = null;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  while (Date.now() < go.endAt) {
    try {
      const measuring = Date.now() >= go.startAt;
      if (measuring) cpuAtStart ??= process.cpuUsage();
      await cycle(measuring);
    } catch (err) {
      // E.g. SQLite's busy timeout under heavy contention: count it, as a restarted worker would.
      report.errors += 1;
      report.firstError ??= (err as Error).message;
    }
  }
  if (cpuAtStart !== null) {
    const used = process.cpuUsage(cpuAtStart);
    report.cpuMs = (used.user + used.system) / 1000;
  }
  await store.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);

  async function cycle(measuring: boolean): Promise<void> {
    const t0 = performance.now();
    // As the worker loop: the claim checks the experiment is running; the experiment is read
    // only when the claim found nothing.
    const claim = { workerId, leaseMs: 60_000, now: Date.now(), whileRunning: true };
    const lease = ahead ?? (await store.claimMember(experimentId, claim));
    ahead = null;
    if (lease === null) {
      await store.getExperiment(experimentId);
      if (measuring) report.emptyClaims += 1;
      await sleep(5);
      return;
    }
    let member = lease.member;
    let decisionMs = Number.NaN;
    let exploited = false;
    if (member.decisionDue) {
      const d0 = performance.now();
      const applied = await store.applyDecision(lease, Date.now(), (self, population) =>
        decide(self, population, DECIDE_CONFIG, SPACE, rng),
      );
      decisionMs = performance.now() - d0;
      member = applied.member;
      exploited = applied.decision.kind === 'exploit';
    }
    const step = member.step + 1;
    const result = {
      step,
      metrics: { score: rng.next() },
      hparams: member.hparams,
      checkpoint: `ck-${member.id}-${step}-${workerId}`,
      done: false,
      // Given back in the same write, as the worker does.
      release: true,
      now: Date.now(),
      trainSeconds: 0,
    };
    // The next member is claimed in the same write where the store can (PostgreSQL), as the
    // worker does; the '-separate' kinds make the two calls, as before.
    if (separate) await store.recordResult(lease, result);
    else ahead = await recordThenClaim(store, lease, result, { ...claim, now: Date.now() });
    if (measuring) {
      report.cycles += 1;
      report.cycleMs.push(performance.now() - t0);
      if (!Number.isNaN(decisionMs)) {
        report.decisions += 1;
        report.decisionMs.push(decisionMs);
        if (exploited) report.exploits += 1;
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * CPU time (ms) of the PostgreSQL server's processes that have exited so far: the postmaster's
 * cutime + cstime from /proc, which only a server on this machine has. Null otherwise.
 */
async function serverCpuMs(url: string): Promise<number | null> {
  const target = new URL(url);
  target.searchParams.delete('schema');
  target.searchParams.delete('options');
  const client = new pg.Client({ connectionString: target.toString() });
  try {
    await client.connect();
    const rows = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows.rows[0]?.pid;
    if (backend === undefined) return null;
    // /proc/<pid>/stat: "pid (comm) state ppid …"; fields after the comm, 0-based from state.
    const fieldsOf = (pid: number | string): string[] =>
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ');
    const postmaster = fieldsOf(backend)[1];
    if (postmaster === undefined) return null;
    const fields = fieldsOf(postmaster);
    const ticks = Number(fields[13]) + Number(fields[14]); // cutime + cstime
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

/** A store URL with a fresh, empty database, and how to remove it afterwards. */
function freshStore(
  kind: StoreKind,
  postgresUrl: string,
): { url: string; cleanup: () => Promise<void> } {
  if (isSqlite(kind)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pbt-bench-store-'));
    return {
      url: `sqlite:${path.join(dir, 'pbt.db')}`,
      cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const schema = `pbt_bench_${process.pid}_${Date.now()}`;
  const url = new URL(withSchema(postgresUrl, schema));
  // (A fresh URL object: the async-commit option below must not leak into other runs.)
  // The server then acknowledges a commit before its WAL reaches the disk: shows what the
  // per-commit flush costs (SQLite's WAL mode with synchronous=NORMAL does not flush per commit).
  if (kind === 'postgres-async-commit')
    url.searchParams.set('options', '-c synchronous_commit=off');
  return {
    url: url.toString(),
    cleanup: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** Creates the population and gives every member a first result, so every claim decides. */
async function createPopulation(store: Store, population: number): Promise<string> {
  const rng = createRng('bench-population');
  const id = 'bench';
  await store.createExperiment({
    id,
    task: 'noop',
    config: { population },
    seed: 1,
    members: Array.from({ length: population }, () => ({ h0: rng.next(), h1: rng.next() })),
    now: Date.now(),
  });
  for (let i = 0; i < population; i++) {
    const lease = await store.claimMember(id, { workerId: 'setup', leaseMs: 60_000, now: 0 });
    if (lease === null) throw new Error('setup: no member to claim');
    await store.recordResult(lease, {
      step: 1,
      metrics: { score: rng.next() },
      hparams: lease.member.hparams,
      checkpoint: `ck-${lease.memberId}-1`,
      done: false,
      now: Date.now(),
      trainSeconds: 0,
    });
    await store.release(lease);
  }
  return id;
}

async function runConfig(
  kind: StoreKind,
  workers: number,
  seconds: number,
  postgresUrl: string,
  profileDir?: string,
): Promise<RunSummary> {
  const { url, cleanup } = freshStore(kind, postgresUrl);
  const population = kind === 'postgres-grown' ? GROWN_POPULATION : POPULATION;
  try {
    const store = await openStore(url);
    const experimentId = await createPopulation(store, population);
    await store.close();
    let historyResults = population;
    if (kind === 'postgres-grown') {
      await growHistory(url, experimentId, GROWN_HISTORY - population, population);
      historyResults = GROWN_HISTORY;
    }
    const children = Array.from({ length: workers }, (_, i) => {
      const proc = spawn(
        process.execPath,
        [
          ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
          '--import',
          'tsx',
          SELF,
          '--child',
          url,
          experimentId,
          `w${i}`,
          ...(isSeparate(kind) ? ['separate'] : []),
        ],
        { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
      return { proc, output: () => out, exited };
    });
    while (!children.every((c) => c.output().includes('ready'))) await sleep(50);
    const serverCpuBefore = isSqlite(kind) ? null : await serverCpuMs(url);
    const loadAverageBefore = os.loadavg().map((x) => round(x));
    const startAt = Date.now() + WARMUP_MS + 200;
    const endAt = startAt + seconds * 1000;
    for (const c of children) c.proc.stdin.end(JSON.stringify({ startAt, endAt }));
    const codes = await Promise.all(children.map((c) => c.exited));
    const loadAverageAfter = os.loadavg().map((x) => round(x));
    // (The postmaster counts a backend's CPU once it has reaped it, just after its client left.)
    if (serverCpuBefore !== null) await sleep(300);
    const serverCpuAfter = serverCpuBefore === null ? null : await serverCpuMs(url);
    if (codes.some((c) => c !== 0))
      throw new Error(`a ${kind} bench worker failed: ${codes.join(', ')}`);
    const reports = children.map(
      (c) => JSON.parse(c.output().split('\n').filter(Boolean).at(-1) ?? '{}') as ChildReport,
    );
    const cycles = reports.reduce((n, r) => n + r.cycles, 0);
    const decisions = reports.reduce((n, r) => n + r.decisions, 0);
    const exploits = reports.reduce((n, r) => n + r.exploits, 0);
    const cycleMs = reports.flatMap((r) => r.cycleMs).sort((a, b) => a - b);
    const decisionMs = reports.flatMap((r) => r.decisionMs).sort((a, b) => a - b);
    const stats = (xs: number[]) => ({
      p50: round(percentile(xs, 50)),
      p99: round(percentile(xs, 99)),
      max: round(xs.at(-1) ?? Number.NaN),
    });
    return {
      store: kind,
      workers,
      population,
      historyResults,
      seconds,
      readyPointsPerSecond: round(cycles / seconds, 1),
      decisionsPerSecond: round(decisions / seconds, 1),
      exploitFraction: round(decisions === 0 ? 0 : exploits / decisions, 3),
      cycleMs: stats(cycleMs),
      decisionMs: stats(decisionMs),
      emptyClaims: reports.reduce((n, r) => n + r.emptyClaims, 0),
      clientCpuMsPerReadyPoint: round(reports.reduce((n, r) => n + r.cpuMs, 0) / cycles, 3),
      serverCpuMsPerReadyPoint:
        serverCpuBefore === null || serverCpuAfter === null
          ? null
          : round((serverCpuAfter - serverCpuBefore) / cycles, 3),
      errors: reports.reduce((n, r) => n + r.errors, 0),
      ...firstErrorOf(reports),
      loadAverageBefore,
      loadAverageAfter,
    };
  } finally {
    await cleanup();
  }
}

/**
 * Appends `count` results (ready points of earlier steps, spread over the members) and as many
 * lineage events / 10 directly in SQL: a long run's history, without running it.
 */
async function growHistory(
  url: string,
  experimentId: string,
  count: number,
  population: number,
): Promise<void> {
  const schema = new URL(url).searchParams.get('schema');
  const target = new URL(url);
  target.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO ${schema}.results (experiment_id, member_id, step, score, metrics, error,
         hparams, checkpoint, time, train_seconds)
       SELECT $1, g % $3, 0, random(), '{"score":0.5}', NULL, '{"h0":0.5,"h1":0.5}',
         'ck-old-' || g, 0, 0
       FROM generate_series(1, $2::integer) g`,
      [experimentId, count, population],
    );
    await client.query(
      `INSERT INTO ${schema}.lineage (experiment_id, member_id, step, donor, donor_step,
         donor_checkpoint, old_hparams, new_hparams, operations, time)
       SELECT $1, g % $3, 0, (g + 1) % $3, 0, 'ck-old-' || g, '{}', '{}', '[]', 0
       FROM generate_series(1, $2::integer / 10) g`,
      [experimentId, count, population],
    );
    // A long-running store has long been vacuumed: without this, autovacuum (PostgreSQL 13+
    // also vacuums after inserts) works through the 110,000 new rows during the measurement.
    await client.query(`VACUUM ANALYZE ${schema}.results`);
    await client.query(`VACUUM ANALYZE ${schema}.lineage`);
  } finally {
    await client.end();
  }
}

/** Optuna's RDB storage on the same server, via bench/optuna-store.py (Debian's python3). */
function runOptuna(postgresUrl: string, seconds: number): Promise<unknown> {
  const python = '/usr/bin/python3';
  const script = path.join(REPO, 'bench', 'optuna-store.py');
  return new Promise((resolve) => {
    const proc = spawn(
      python,
      [script, '--url', postgresUrl, '--workers', '8', '--seconds', String(seconds)],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('error', (err) => resolve({ skipped: `cannot run ${python}: ${err.message}` }));
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(
          code === 0 ? JSON.parse(last) : { skipped: `optuna-store.py exited ${code}: ${last}` },
        );
      } catch {
        resolve({ skipped: `optuna-store.py printed no result: ${last}` });
      }
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const childAt = argv.indexOf('--child');
  if (childAt >= 0) {
    const [url, experimentId, workerId, calls] = argv.slice(childAt + 1);
    if (url === undefined || experimentId === undefined || workerId === undefined)
      throw new Error('usage: --child <url> <experimentId> <workerId> [separate]');
    await child(url, experimentId, workerId, calls === 'separate');
    return;
  }
  const seconds = Number(arg(argv, '--seconds') ?? 10);
  const workerCounts = (arg(argv, '--workers') ?? '1,8').split(',').map(Number);
  const postgresUrl =
    arg(argv, '--postgres') ??
    process.env.PBT_TEST_POSTGRES_URL ??
    'postgres://postgres@127.0.0.1:5432/test';

  // CPU profiles of the worker processes (node --cpu-prof), one .cpuprofile file each.
  const profileDir = arg(argv, '--profile');
  const runs: RunSummary[] = [];
  const kinds = (
    arg(argv, '--stores') ?? 'postgres,postgres-separate,postgres-grown,sqlite,sqlite-separate'
  ).split(',') as StoreKind[];
  for (const kind of kinds) {
    // The history-growth check compares like with like: 8 workers (the target's setting).
    for (const workers of kind === 'postgres-grown' ? [Math.max(...workerCounts)] : workerCounts) {
      const summary = await runConfig(kind, workers, seconds, postgresUrl, profileDir);
      console.log(
        `${kind.padEnd(8)} ${String(workers).padStart(2)} workers, population ${summary.population}, ` +
          `${summary.historyResults} results: ` +
          `${summary.readyPointsPerSecond} ready points/s, decision p50 ${summary.decisionMs.p50} ms ` +
          `p99 ${summary.decisionMs.p99} ms, cycle p99 ${summary.cycleMs.p99} ms, ` +
          `CPU per ready point: workers ${summary.clientCpuMsPerReadyPoint} ms, ` +
          `server ${summary.serverCpuMsPerReadyPoint ?? '?'} ms ` +
          `(load ${summary.loadAverageBefore[0]} → ${summary.loadAverageAfter[0]})` +
          (summary.errors > 0 ? `, ${summary.errors} failed cycles: ${summary.firstError}` : ''),
      );
      runs.push(summary);
    }
  }
  const optuna = argv.includes('--skip-optuna')
    ? { skipped: '--skip-optuna' }
    : await runOptuna(postgresUrl, seconds);
  console.log(`optuna: ${JSON.stringify(optuna)}`);

  // The machine is shared and its load swings widely within minutes: `--append` adds this run
  // as another repetition to the existing file, and the summary gives the range over all.
  const file = path.resolve(
    arg(argv, '--out') ?? path.join(REPO, 'results', 'bench', 'store.json'),
  );
  const previous: Repetition[] =
    argv.includes('--append') && existsSync(file)
      ? ((JSON.parse(readFileSync(file, 'utf8')) as { repetitions?: Repetition[] }).repetitions ??
        [])
      : [];
  const repetitions: Repetition[] = [...previous, { date: new Date().toISOString(), runs, optuna }];
  const out = {
    benchmark: 'population store: ready points with decisions per second and latency',
    command: 'node --import tsx bench/store.ts --seconds 10 [--append]',
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      note: 'shared with other jobs: loadAverageBefore/After (1, 5, 15 min) is recorded for every run',
    },
    setup: {
      population: POPULATION,
      'postgres-grown': `population ${GROWN_POPULATION}, ${GROWN_HISTORY} results and ${GROWN_HISTORY / 10} lineage events in the store before the clock starts`,
      task: 'no-op: no training, a random score, a made-up checkpoint key',
      cycle:
        'claimMember (while running), applyDecision (truncation 25%, perturb 0.8/1.2), ' +
        'recordResult with release (one write)',
      postgres: 'PostgreSQL 15 on 127.0.0.1 (same machine), a pool per process, default settings',
      'postgres-async-commit': 'the same with synchronous_commit=off for the store sessions',
      'postgres-separate':
        'postgres with the record and the next claim as two calls (three round trips per ready point, the cycle before recordAndClaim)',
      sqlite: 'one file in the temp directory, WAL, synchronous=NORMAL (no flush per commit)',
      'sqlite-separate': 'sqlite with the record and the next claim as two write transactions',
    },
    targets: targetsOf(repetitions),
    summary: summarize(repetitions),
    repetitions,
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(REPO, file)}`);
}

/** Issue 17's targets, judged on this run alone. */
/**
 * Issue 17's targets, judged in every repetition (each its own side-by-side run): the measured
 * values in repetition order, and whether all, some or none met the target.
 */
function targetsOf(repetitions: readonly Repetition[]): Record<string, unknown> {
  const judged = repetitions.flatMap(({ runs }) => {
    const pg8 = runs.find((r) => r.store === 'postgres' && r.workers === 8);
    const grown = runs.find((r) => r.store === 'postgres-grown');
    if (pg8 === undefined) return [];
    return [
      {
        rate: pg8.readyPointsPerSecond,
        p99: pg8.decisionMs.p99,
        ratio:
          grown === undefined
            ? null
            : round(grown.readyPointsPerSecond / pg8.readyPointsPerSecond, 3),
      },
    ];
  });
  if (judged.length === 0) return { skipped: 'no PostgreSQL run with 8 workers' };
  const verdict = (met: boolean[]): string =>
    met.every(Boolean) ? 'all' : met.some(Boolean) ? 'some' : 'none';
  const ratios = judged.map((j) => j.ratio).filter((r): r is number => r !== null);
  return {
    'postgres ×8 ≥ 1000 ready points/s': {
      measured: judged.map((j) => j.rate),
      met: verdict(judged.map((j) => j.rate >= 1000)),
    },
    'postgres ×8 decision p99 < 20 ms': {
      measured: judged.map((j) => j.p99),
      met: verdict(judged.map((j) => j.p99 < 20)),
    },
    'grown (1,000 members, 100,000 results) within 20 % of postgres ×8': {
      ratio: ratios,
      met: ratios.length === 0 ? null : verdict(ratios.map((r) => r >= 0.8)),
    },
  };
}

interface Repetition {
  readonly date: string;
  readonly runs: RunSummary[];
  readonly optuna: unknown;
}

/** Per store and worker count: the range over the repetitions of throughput and p99 latency. */
function summarize(repetitions: readonly Repetition[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const range = (xs: number[]): number[] => [Math.min(...xs), Math.max(...xs)];
  const keys = new Set(repetitions.flatMap((r) => r.runs.map((x) => `${x.store} ×${x.workers}`)));
  for (const key of keys) {
    const runs = repetitions.flatMap((r) =>
      r.runs.filter((x) => `${x.store} ×${x.workers}` === key),
    );
    out[key] = {
      readyPointsPerSecond: range(runs.map((x) => x.readyPointsPerSecond)),
      decisionP99Ms: range(runs.map((x) => x.decisionMs.p99)),
      cycleP99Ms: range(runs.map((x) => x.cycleMs.p99)),
      loadAverage1m: range(
        runs.flatMap((x) => [x.loadAverageBefore[0] ?? 0, x.loadAverageAfter[0] ?? 0]),
      ),
    };
  }
  const optuna = repetitions
    .map((r) => r.optuna as { trialsPerSecond?: number; trialMs?: { p99: number } })
    .filter((o) => typeof o.trialsPerSecond === 'number');
  if (optuna.length > 0) {
    out['optuna RDB ×8'] = {
      trialsPerSecond: range(optuna.map((o) => o.trialsPerSecond ?? 0)),
      trialP99Ms: range(optuna.map((o) => o.trialMs?.p99 ?? 0)),
    };
  }
  return out;
}

await main(process.argv);
