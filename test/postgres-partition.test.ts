/**
 * A network partition between one worker and PostgreSQL, in the middle of a ready point.
 *
 * The partitioned worker runs in a network namespace of its own, joined to this one by a veth
 * pair with link-local addresses; it reaches the server through a TCP forwarder that listens on
 * this side of the pair. While that worker holds a member, the link is set down for three lease
 * periods, and longer (up to 60 s) until another worker has taken the member over: packets are
 * dropped, no connection is closed (as when a switch or cable fails), so the worker's in-flight
 * writes hang instead of failing. Another worker must take the member over
 * once the lease expires; when the link comes back the partitioned worker's late writes must be
 * rejected by fencing (it logs "lease lost") and the run must finish with nothing lost or
 * duplicated.
 *
 * Needs root and `ip netns` (CI runs as root); otherwise it is skipped with the reason.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/engine/store/postgres/postgres-store.js';
import type { LineageEvent, MemberRecord, ResultRecord } from '../src/engine/store/store.js';
import { PBT_BIN, sleep, tempDir } from './helpers.js';
import {
  adminQuery,
  createToyExperiment,
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import {
  expectEveryMemberDone,
  expectLineageConsistent,
  expectOneResultPerReadyPoint,
} from './fixtures/run-invariants.js';

const POPULATION = 4;
const BUDGET = 90;
const READY = 6;
const STEP_MS = 100;
const LEASE_SECONDS = 4;
const PARTITION_MS = 3 * LEASE_SECONDS * 1000;
const MAX_PARTITION_MS = 60_000;
const RUN_TIMEOUT_MS = 180_000;

const run = promisify(execFile);
const ip = async (...args: string[]): Promise<void> => {
  await run('ip', args, { timeout: 10_000 });
};

/** A namespace and veth pair of our own; names fit the 15-character interface limit. */
const tag = (process.pid % 100_000).toString(36);
const NETNS = `pbtpart-${tag}`;
const HOST_IF = `pbth${tag}`;
const NS_IF = `pbtn${tag}`;
const HOST_ADDR = '169.254.213.1';
const NS_ADDR = '169.254.213.2';

async function makeNamespace(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  try {
    await ip('netns', 'add', NETNS);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message.trim()}`;
  }
  await ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  await ip('link', 'set', NS_IF, 'netns', NETNS);
  await ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', HOST_IF);
  await ip('link', 'set', HOST_IF, 'up');
  await ip('netns', 'exec', NETNS, 'ip', 'addr', 'add', `${NS_ADDR}/30`, 'dev', NS_IF);
  await ip('netns', 'exec', NETNS, 'ip', 'link', 'set', NS_IF, 'up');
  await ip('netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up');
  return null;
}

async function removeNamespace(): Promise<void> {
  await ip('link', 'del', HOST_IF).catch(() => undefined);
  await ip('netns', 'del', NETNS).catch(() => undefined);
}

/** Forwards connections from the namespace's side of the pair to the real server. */
function startForwarder(target: URL): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST_ADDR, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

const server = await testPostgres();

if (server.url === undefined) {
  console.warn(`PostgreSQL partition test skipped: ${server.skip}`);
  describe('network partition', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const adminUrl = server.url;
  const namespaceProblem = await makeNamespace();
  if (namespaceProblem !== null) {
    console.warn(`PostgreSQL partition test skipped: ${namespaceProblem}`);
    describe('network partition', () => {
      it.skip(`skipped: ${namespaceProblem}`, () => undefined);
    });
  } else {
    describe('a worker partitioned from PostgreSQL mid ready point (network namespace, link down)', () => {
      const schema = uniqueSchema('pbt_partition');
      const url = schemaUrl(adminUrl, schema);
      const cwd = tempDir('pbt-partition-');
      const procs: {
        name: string;
        proc: ChildProcess;
        log: string;
        exit: Promise<number | null>;
      }[] = [];
      let forwarder: net.Server | null = null;
      let experimentId = '';
      let heldAtPartition: { member: number; token: number } | null = null;
      let takenOverDuringPartition = false;
      let members: MemberRecord[] = [];
      let results: ResultRecord[] = [];
      let lineage: LineageEvent[] = [];

      const startWorker = (name: string, storeUrl: string, inNamespace: boolean): void => {
        const args = [
          PBT_BIN,
          'worker',
          '--store',
          storeUrl,
          '-e',
          experimentId,
          '--worker-name',
          name,
        ];
        const proc = inNamespace
          ? spawn('ip', ['netns', 'exec', NETNS, process.execPath, ...args], {
              cwd,
              stdio: ['ignore', 'ignore', 'pipe'],
            })
          : spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
        const entry = {
          name,
          proc,
          log: '',
          exit: new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code))),
        };
        proc.stderr?.on('data', (d: Buffer) => (entry.log += d.toString()));
        procs.push(entry);
      };

      const leaseOf = async (owner: string): Promise<{ member: number; token: number } | null> => {
        const rows = await adminQuery<{ id: number; token: string }>(
          adminUrl,
          `SELECT id, token FROM ${schema}.members WHERE experiment_id = $1 AND lease_owner LIKE $2 AND step > 0`,
          [experimentId, `${owner}@%`],
        );
        const row = rows[0];
        return row ? { member: Number(row.id), token: Number(row.token) } : null;
      };
      const tokenOf = async (member: number): Promise<number> =>
        Number(
          (
            await adminQuery<{ token: string }>(
              adminUrl,
              `SELECT token FROM ${schema}.members WHERE experiment_id = $1 AND id = $2`,
              [experimentId, member],
            )
          )[0]?.token ?? -1,
        );

      beforeAll(async () => {
        experimentId = await createToyExperiment(url, cwd, {
          population: POPULATION,
          budget: BUDGET,
          ready: READY,
          leaseSeconds: LEASE_SECONDS,
          seed: 3,
          stepMs: STEP_MS,
        });

        const target = new URL(adminUrl);
        const started = await startForwarder(target);
        forwarder = started.server;
        const viaLink = new URL(url);
        viaLink.hostname = HOST_ADDR;
        viaLink.port = String(started.port);

        startWorker('partitioned', viaLink.toString(), true);
        startWorker('free-a', url, false);
        startWorker('free-b', url, false);

        const deadline = Date.now() + RUN_TIMEOUT_MS;
        while (heldAtPartition === null && Date.now() < deadline) {
          heldAtPartition = await leaseOf('partitioned');
          if (heldAtPartition === null) await sleep(100);
        }
        expect(heldAtPartition, 'the namespaced worker never held a member').not.toBeNull();
        const held = heldAtPartition ?? { member: -1, token: -1 };

        // Down for at least three lease periods, and on a loaded machine (the free workers are slow
        // to get round to the orphaned member) until another worker has taken the member over.
        await ip('link', 'set', HOST_IF, 'down');
        const partitionEnds = Date.now() + PARTITION_MS;
        const partitionGivesUp = Date.now() + MAX_PARTITION_MS;
        try {
          while (
            Date.now() < partitionGivesUp &&
            (Date.now() < partitionEnds || !takenOverDuringPartition)
          ) {
            if ((await tokenOf(held.member)) > held.token) takenOverDuringPartition = true;
            await sleep(250);
          }
        } finally {
          await ip('link', 'set', HOST_IF, 'up');
        }

        const running = (): boolean => procs.some((p) => p.proc.exitCode === null);
        while (running() && Date.now() < deadline) await sleep(250);
        for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');

        const store = await PostgresStore.open(url);
        try {
          members = await store.listMembers(experimentId);
          results = await store.listResults(experimentId);
          lineage = await store.listLineage(experimentId);
        } finally {
          await store.close();
        }
      }, RUN_TIMEOUT_MS + 60_000);

      afterAll(async () => {
        for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
        forwarder?.close();
        await removeNamespace();
        await dropSchema(adminUrl, schema);
        rmSync(cwd, { recursive: true, force: true });
      });

      it('lets another worker take the partitioned member over once its lease expires', () => {
        const partitioned = procs.find((p) => p.name === 'partitioned');
        console.info(
          `partition: member ${heldAtPartition?.member} (token ${heldAtPartition?.token}) held by the namespaced worker; ` +
            `link down ${PARTITION_MS / 1000} s; its log after the partition:\n` +
            (partitioned?.log
              .split('\n')
              .filter((l) => /lease|retry|error/i.test(l))
              .slice(0, 8)
              .join('\n') ?? ''),
        );
        expect(takenOverDuringPartition).toBe(true);
      });

      it('rejects the partitioned worker’s late writes by fencing, and every worker exits cleanly', async () => {
        const partitioned = procs.find((p) => p.name === 'partitioned');
        expect(partitioned?.log).toMatch(
          new RegExp(`member ${heldAtPartition?.member ?? -1}: lease lost to another worker`),
        );
        const codes = await Promise.all(procs.map((p) => p.exit));
        expect(
          codes,
          procs.map((p) => `${p.name}:\n${p.log.split('\n').slice(-15).join('\n')}`).join('\n'),
        ).toEqual(procs.map(() => 0));
      });

      it('finishes with every member at its budget and one result per ready point', () => {
        expectEveryMemberDone({ members, results, lineage }, POPULATION, BUDGET);
        expectOneResultPerReadyPoint({ members, results, lineage }, BUDGET, READY);
        expectLineageConsistent({ members, results, lineage }, BUDGET, READY);
      });
    });
  }
}
