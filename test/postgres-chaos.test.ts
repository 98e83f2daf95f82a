/**
 * Chaos on PostgreSQL: 8 `pbt worker` processes share one experiment (population 16, toy task)
 * created by `pbt run --workers 0`; a killer SIGKILLs a random running worker 20 times and starts
 * a replacement each time; once, mid-run, the PostgreSQL server itself restarts. At the end every
 * member must have reached its budget with exactly one result per ready point, the lineage must
 * agree with the results, and every checkpoint any record names must verify (sha256) in the
 * database checkpoint store the run used.
 *
 * Sizing (a busy 2-core machine, where starting a worker costs a few seconds of tsx loading and
 * a 20 ms busy-wait step can overrun by a scheduler slice): budget 60 steps, ready every 6,
 * stepMs 100, so a member trains ~6 s in 10 segments and the population ~12 s with 8 workers.
 * Kills are spread by progress, not by the clock, so all 20 land inside the run on a fast
 * machine as on a slow one: kill k comes once k/21 of all steps are done (at least 250 ms after
 * the previous one), and the server restarts after kill 8. Leases last 4 s, so a killed member
 * is resumed within 4 s. Here (load average 10-20 from other jobs) the whole test takes about
 * 1.5-2.5 minutes.
 *
 * The server restart needs PBT_TEST_POSTGRES_RESTART (a shell command that restarts the server
 * the tests use; .ci/run sets it). Without it the kills still run and the restart is reported
 * as skipped. Other PostgreSQL test files may run at the same time: everything they do goes
 * through retrying code (the stores, adminQuery), so a restart delays them but does not fail
 * them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCheckpointStore } from '../src/engine/checkpoints/postgres-checkpoint-store.js';
import { createRng } from '../src/engine/core/rng.js';
import { PostgresStore } from '../src/engine/store/postgres/postgres-store.js';
import type { LineageEvent, MemberRecord, ResultRecord } from '../src/engine/store/store.js';
import { PBT_BIN, sleep, tempDir } from './helpers.js';
import {
  expectEveryMemberDone,
  expectLineageConsistent,
  expectOneResultPerReadyPoint,
} from './fixtures/run-invariants.js';
import {
  adminQuery,
  createToyExperiment,
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';

const WORKERS = 8;
const POPULATION = 16;
const BUDGET = 60;
const READY = 6;
const STEP_MS = 100;
const LEASE_SECONDS = 4;
const KILLS = 20;
const MIN_KILL_GAP_MS = 250;
/** The server restarts after this many kills. */
const RESTART_AFTER_KILL = 8;
const RUN_TIMEOUT_MS = 240_000;

const server = await testPostgres();
const restartCommand = process.env.PBT_TEST_POSTGRES_RESTART ?? '';

interface Worker {
  readonly slot: number;
  readonly proc: ChildProcess;
  log: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  killed: boolean;
}

if (server.url === undefined) {
  console.warn(`PostgreSQL chaos test skipped: ${server.skip}`);
  describe('chaos on PostgreSQL', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const adminUrl = server.url;

  describe('chaos on PostgreSQL: 8 workers, 20 SIGKILLs and a server restart', () => {
    const schema = uniqueSchema('pbt_chaos');
    const url = schemaUrl(adminUrl, schema);
    const cwd = tempDir('pbt-chaos-');
    const workers: Worker[] = [];
    const exits: { slot: number; code: number | null; signal: string | null; log: string }[] = [];
    let kills = 0;
    let restarted: { before: string; after: string; seconds: number } | null = null;
    let restartError: unknown = null;
    let members: MemberRecord[] = [];
    let results: ResultRecord[] = [];
    let lineage: LineageEvent[] = [];
    let retained = new Set<string>();
    let experimentId = '';
    let runSeconds = 0;

    const start = (slot: number): Worker => {
      const proc = spawn(
        process.execPath,
        [
          PBT_BIN,
          'worker',
          '--store',
          url,
          '--experiment',
          experimentId,
          '--worker-name',
          `chaos-${slot}`,
        ],
        { cwd, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const worker: Worker = {
        slot,
        proc,
        log: '',
        killed: false,
        exited: new Promise((resolve) =>
          proc.on('exit', (code, signal) => resolve({ code, signal })),
        ),
      };
      proc.stderr?.on('data', (d: Buffer) => (worker.log += d.toString()));
      void worker.exited.then(({ code, signal }) =>
        exits.push({ slot, code, signal, log: worker.log }),
      );
      workers[slot] = worker;
      return worker;
    };

    const running = (): Worker[] =>
      workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null && !w.killed);

    const restartServer = async (): Promise<void> => {
      const startTime = async (): Promise<string> =>
        (
          await adminQuery<{ t: string }>(adminUrl, 'SELECT pg_postmaster_start_time()::text AS t')
        )[0]?.t ?? '';
      const before = await startTime();
      const t0 = Date.now();
      await promisify(execFile)('sh', ['-c', restartCommand], { timeout: 60_000 });
      const after = await startTime();
      restarted = { before, after, seconds: (Date.now() - t0) / 1000 };
    };

    beforeAll(async () => {
      const started = Date.now();
      experimentId = await createToyExperiment(url, cwd, {
        population: POPULATION,
        budget: BUDGET,
        ready: READY,
        leaseSeconds: LEASE_SECONDS,
        seed: 5,
        stepMs: STEP_MS,
      });

      for (let slot = 0; slot < WORKERS; slot++) start(slot);
      const rng = createRng('chaos-killer', 5);
      let restart: Promise<void> | null = null;
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      const totalSteps = POPULATION * BUDGET;
      const stepsDone = async (): Promise<number> =>
        Number(
          (
            await adminQuery<{ n: string }>(
              adminUrl,
              `SELECT coalesce(sum(step), 0) AS n FROM ${schema}.members WHERE experiment_id = $1`,
              [experimentId],
            )
          )[0]?.n ?? 0,
        );
      try {
        while (kills < KILLS && Date.now() < deadline) {
          await sleep(MIN_KILL_GAP_MS * (1 + rng.next()));
          if (running().length === 0) break; // the run is over
          if ((await stepsDone()) < ((kills + 1) / (KILLS + 1)) * totalSteps) continue;
          // Only workers that have joined (tsx loaded, store open) are worth killing.
          const joined = running().filter((w) => w.log.includes('joined experiment'));
          if (joined.length === 0) continue;
          const victim = joined[rng.int(joined.length)];
          if (victim === undefined) continue;
          victim.killed = true;
          victim.proc.kill('SIGKILL');
          await victim.exited;
          kills += 1;
          start(victim.slot);
          if (kills === RESTART_AFTER_KILL && restartCommand !== '') {
            restart = restartServer().catch((err: unknown) => {
              restartError = err;
            });
          }
        }
        await restart;
        // Let the run finish.
        while (running().length > 0 && Date.now() < deadline) await sleep(200);
      } finally {
        for (const w of running()) w.proc.kill('SIGKILL');
      }
      runSeconds = (Date.now() - started) / 1000;

      const store = await PostgresStore.open(url);
      try {
        members = await store.listMembers(experimentId);
        results = await store.listResults(experimentId);
        lineage = await store.listLineage(experimentId);
        retained = await store.referencedCheckpoints();
      } finally {
        await store.close();
      }
    }, RUN_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      for (const w of running()) w.proc.kill('SIGKILL');
      await dropSchema(adminUrl, schema);
      rmSync(cwd, { recursive: true, force: true });
    });

    it(`kills ${KILLS} workers while the run is in progress, and every other worker exits cleanly`, () => {
      // Every claim increments a token; a claim without a result is a cycle cut short.
      const interrupted = members.reduce((n, m) => n + m.token, 0) - results.length;
      console.info(
        `chaos run: ${runSeconds.toFixed(1)} s, ${kills} kills, ${interrupted} cycles cut short, ` +
          `${results.length} results, ${lineage.length} exploits` +
          (restarted ? `, server restarted in ${restarted.seconds.toFixed(1)} s` : ''),
      );
      expect(kills).toBe(KILLS);
      // Kills land on running workers, but one that is starting, waiting for a claimable member
      // or done near the end holds no lease: on an idle 2-core machine 10-12 of the 20 kills cut
      // a cycle short, with this code and the code before the record-and-claim change alike
      // (three runs each), so half was a coin flip for CI. A quarter still shows the kills
      // landed inside the run.
      expect(interrupted).toBeGreaterThanOrEqual(KILLS / 4);
      const unclean = exits.filter((e) => e.signal !== 'SIGKILL' && e.code !== 0);
      expect(unclean.map((e) => `slot ${e.slot}: ${e.code} ${e.signal}\n${e.log}`)).toEqual([]);
      expect(exits.filter((e) => e.signal === 'SIGKILL')).toHaveLength(KILLS);
    });

    it.skipIf(restartCommand === '')(
      'restarts the PostgreSQL server mid-run and the run still completes',
      () => {
        expect(restartError).toBeNull();
        expect(restarted).not.toBeNull();
        expect(restarted?.after).not.toBe(restarted?.before);
        expect(members.every((m) => m.status === 'done')).toBe(true);
      },
    );
    if (restartCommand === '') {
      it.skip('server restart skipped: set PBT_TEST_POSTGRES_RESTART to a restart command', () => {});
    }

    it('brings every member to its budget', () => {
      expectEveryMemberDone({ members, results, lineage }, POPULATION, BUDGET);
    });

    it('records exactly one result per member and ready point, none missing, none twice', () => {
      expectOneResultPerReadyPoint({ members, results, lineage }, BUDGET, READY);
    });

    it('keeps the lineage consistent with the results', () => {
      expect(lineage.length).toBeGreaterThan(0);
      expectLineageConsistent({ members, results, lineage }, BUDGET, READY);
    });

    it('keeps every retained checkpoint intact; any other one a result or lineage event names is intact or collected', async () => {
      // Workers collect unreferenced checkpoints while running (docs/reliability.md): what the
      // store retains (members' final checkpoints, the best result's) must be there, anything
      // older may be gone, but whatever is still stored must verify.
      const keys = new Set<string>([...members.map((m) => m.checkpoint ?? ''), ...retained]);
      keys.delete('');
      const named = new Set<string>([
        ...results.map((r) => r.checkpoint ?? ''),
        ...lineage.map((e) => e.donorCheckpoint),
      ]);
      named.delete('');
      const checkpoints = new PostgresCheckpointStore(url);
      try {
        for (const key of keys) {
          const bytes = await checkpoints.get(key); // throws unless sha256(bytes) === key
          expect(bytes.byteLength).toBeGreaterThanOrEqual(16);
        }
        for (const key of named) {
          if (await checkpoints.has(key)) await checkpoints.get(key);
        }
      } finally {
        await checkpoints.close();
      }
      expect(keys.size).toBeGreaterThanOrEqual(POPULATION);
    });
  });
}
