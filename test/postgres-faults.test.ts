/**
 * The PostgreSQL store under connection faults: a COMMIT lost on the way to the server, a COMMIT
 * whose reply is lost (the client cannot know it committed), backends terminated by the server
 * (57P01, as in a restart), and the server unreachable for a while. Every write must end up
 * applied exactly once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../src/engine/core/types.js';
import { PostgresStore } from '../src/engine/store/postgres/postgres-store.js';
import type { Lease, ReadyResult } from '../src/engine/store/store.js';
import { startFaultProxy, type FaultProxy } from './fixtures/pg-fault-proxy.js';
import {
  adminQuery,
  dropSchema,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';

const server = await testPostgres();
const T0 = 1_700_000_000_000;
const LEASE = { leaseMs: 60_000 };

function result(step: number, score: number, checkpoint: string, done = false): ReadyResult {
  return {
    step,
    metrics: { score },
    hparams: { lr: 0.1 },
    checkpoint,
    done,
    now: T0 + step,
    trainSeconds: 0.5,
  };
}

if (server.url === undefined) {
  console.warn(`PostgreSQL fault tests skipped: ${server.skip}`);
  describe('PostgresStore under connection faults', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const adminUrl = server.url;
  const upstream = new URL(adminUrl);

  describe('PostgresStore under connection faults', () => {
    let proxy: FaultProxy;
    let schema: string;
    let store: PostgresStore;
    const opened: PostgresStore[] = [];

    /** A store whose every connection goes through the proxy. */
    const viaProxy = async (): Promise<PostgresStore> => {
      const url = new URL(adminUrl);
      url.host = `127.0.0.1:${proxy.port}`;
      url.searchParams.set('schema', schema);
      const s = await PostgresStore.open(url.toString(), {
        retry: { initialDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 20_000 },
      });
      opened.push(s);
      return s;
    };
    const count = async (table: string): Promise<number> =>
      Number(
        (
          await adminQuery<{ n: string }>(adminUrl, `SELECT count(*) AS n FROM ${schema}.${table}`)
        )[0]?.n,
      );
    const claim = async (id = 'exp', now = T0): Promise<Lease> => {
      const lease = await store.claimMember(id, { workerId: 'w', now, ...LEASE });
      if (lease === null) throw new Error('expected a lease');
      return lease;
    };

    beforeAll(async () => {
      proxy = await startFaultProxy(upstream.hostname, Number(upstream.port || 5432));
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
      await proxy.close();
    });
    beforeEach(async () => {
      schema = uniqueSchema('pbt_faults');
      store = await viaProxy();
      await store.createExperiment({
        id: 'exp',
        task: 'toy',
        config: {},
        seed: 1,
        members: [{ lr: 0.1 }, { lr: 0.2 }],
        now: T0,
      });
      return async () => {
        await dropSchema(adminUrl, schema);
      };
    });

    it('applies each write once when the reply to its COMMIT is lost', async () => {
      const before = proxy.cuts();
      const cutNext = (): void => proxy.arm('after-commit');

      cutNext();
      const created = await store.createExperiment({
        id: 'second',
        task: 'toy',
        config: { a: 1 },
        seed: 2,
        members: [{ lr: 1 }],
        now: T0,
      });
      expect(created).toMatchObject({ id: 'second', config: { a: 1 } });

      cutNext();
      const lease = await claim();
      expect(lease).toMatchObject({ memberId: 0, token: 1 });

      cutNext();
      await store.heartbeat(lease, 60_000, T0 + 1);

      cutNext();
      await store.recordResult(lease, result(1, 0.2, 'ck-0-1'));
      cutNext();
      await store.release(lease);

      const other = await claim();
      expect(other.memberId).toBe(1);
      await store.recordResult(other, result(1, 0.9, 'ck-1-1'));
      await store.release(other);

      const again = await claim();
      expect(again).toMatchObject({ memberId: 0, token: 2 });
      const exploit = (): Decision => ({
        kind: 'exploit',
        donor: 1,
        hparams: { lr: 0.25 },
        operations: ['lr*1.25'],
      });
      cutNext();
      const applied = await store.applyDecision(again, T0 + 2, exploit);
      expect(applied).toMatchObject({ checkpoint: 'ck-1-1', member: { hparams: { lr: 0.25 } } });

      cutNext();
      await store.recordResult(again, result(2, 0.95, 'ck-0-2', true));

      const last = await claim();
      cutNext();
      await store.failMember(last, 'gave up');

      expect(proxy.cuts() - before).toBe(8);
      expect(await count('experiments')).toBe(2);
      expect(await count('members')).toBe(3);
      const results = await store.listResults('exp');
      expect(results.map((r) => [r.memberId, r.step])).toEqual([
        [0, 1],
        [0, 2],
        [1, 1],
      ]);
      expect(await store.listLineage('exp')).toHaveLength(1);
      expect((await store.listMembers('exp')).map((m) => [m.status, m.token])).toEqual([
        ['done', 2],
        ['failed', 2],
      ]);
    });

    it('records and claims in one write, once, when the reply to its COMMIT is lost', async () => {
      const lease = await claim();
      const before = proxy.cuts();
      proxy.arm('after-commit');
      const next = await store.recordAndClaim(
        lease,
        { ...result(1, 0.4, 'ck-0-1'), release: true },
        { workerId: 'w', now: T0 + 1, whileRunning: true, ...LEASE },
      );
      expect(proxy.cuts() - before).toBe(1);
      // The retry found its own write record: member 1 claimed once, by this very write.
      expect(next).toMatchObject({ memberId: 1, token: 1, member: { status: 'running' } });
      expect((await store.listMembers('exp')).map((m) => [m.status, m.step, m.token])).toEqual([
        ['pending', 1, 1],
        ['running', 0, 1],
      ]);
      expect(await store.listResults('exp')).toHaveLength(1);
      // The lease it returned is the one the store holds: its record goes through.
      if (next === null) throw new Error('expected a lease');
      await store.recordResult(next, { ...result(1, 0.6, 'ck-1-1'), release: true });
      expect(await store.listResults('exp')).toHaveLength(2);
    });

    it('applies a write whose COMMIT never reached the server on the retry', async () => {
      const lease = await claim();
      proxy.arm('before-commit');
      await store.recordResult(lease, result(1, 0.5, 'ck'));
      proxy.arm('before-commit');
      const applied = await store.applyDecision(lease, T0, () => ({ kind: 'continue' }));
      expect(applied.member.decisionDue).toBe(false);
      expect(await store.listResults('exp')).toHaveLength(1);
      expect((await store.listMembers('exp'))[0]).toMatchObject({ step: 1, decisionDue: false });
    });

    it('rides out backends terminated by the server (57P01) and an unreachable server', async () => {
      const lease = await claim();
      // Terminate exactly this store's server sessions: those connected from the proxy.
      const sessions = await adminQuery<{ pid: number }>(
        adminUrl,
        'SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
        [proxy.upstreamPorts()],
      );
      expect(sessions.length).toBeGreaterThan(0);
      await adminQuery(adminUrl, 'SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p', [
        sessions.map((s) => s.pid),
      ]);
      await store.recordResult(lease, result(1, 0.5, 'ck-1'));

      proxy.blackout(1_500);
      const started = Date.now();
      await store.recordResult(lease, result(2, 0.6, 'ck-2'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect((await store.listResults('exp')).map((r) => r.step)).toEqual([1, 2]);
    });
  });
}
