import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError, NotFoundError, PbtError } from '../core/errors.js';
import type { Decision, Hparams, MemberView, PopulationSnapshot } from '../core/types.js';
import { recordThenClaim } from '../store/record-then-claim.js';
import type { ClaimOptions, Lease, MemberRecord, ReadyResult, Store } from '../store/store.js';

/**
 * How the suite gets stores. `open()` may be called several times in one test: every call must
 * return a connection to the same database (an in-memory store returns the same instance).
 * `cleanup()` runs after each test, once the suite has closed what it opened, and must leave the
 * next `open()` an empty database.
 */
export interface StoreFactory {
  open(): Promise<Store>;
  cleanup?(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE_MS = 60_000;

function hparamsOf(i: number): Hparams {
  return { lr: 0.001 * (i + 1), layers: (i % 3) + 1, optimizer: i % 2 === 0 ? 'adam' : 'sgd' };
}

function claimOpts(workerId: string, now: number, extra: Partial<ClaimOptions> = {}): ClaimOptions {
  return { workerId, leaseMs: LEASE_MS, now, ...extra };
}

function success(
  step: number,
  score: number,
  checkpoint: string | null,
  extra: Partial<ReadyResult> = {},
): ReadyResult {
  return {
    step,
    metrics: { score, loss: 1 - score },
    hparams: { lr: 0.5 },
    checkpoint,
    done: false,
    now: T0 + step,
    trainSeconds: 1.5,
    ...extra,
  };
}

function failure(step: number, error: string): ReadyResult {
  return {
    step,
    metrics: null,
    error,
    hparams: { lr: 0.5 },
    checkpoint: null,
    done: false,
    now: T0 + step,
    trainSeconds: 0.25,
  };
}

const continueDecision = (): Decision => ({ kind: 'continue' });

/** Runs the store contract (src/store/store.ts) against one implementation. */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: Store[] = [];

    async function open(): Promise<Store> {
      const store = await factory.open();
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      for (const store of new Set(opened.splice(0))) await store.close();
      await factory.cleanup?.();
    });

    async function create(store: Store, id = 'exp', size = 4, now = T0): Promise<void> {
      await store.createExperiment({
        id,
        task: 'toy',
        config: { population: size },
        seed: 7,
        members: Array.from({ length: size }, (_, i) => hparamsOf(i)),
        now,
      });
    }

    async function claimOrThrow(store: Store, opts: ClaimOptions, id = 'exp'): Promise<Lease> {
      const lease = await store.claimMember(id, opts);
      if (lease === null) throw new Error('expected a claimable member');
      return lease;
    }

    /**
     * Brings member i to `steps[i]` (with checkpoint `ck-<i>-<step>` and score `scores[i]`),
     * leaving every member pending with a decision due when it advanced.
     */
    async function advance(
      store: Store,
      steps: readonly number[],
      scores: readonly number[] = steps.map((_, i) => i / 10),
      id = 'exp',
    ): Promise<void> {
      for (const [i, step] of steps.entries()) {
        const lease = await claimOrThrow(store, claimOpts('setup', T0, { preferMember: i }), id);
        expect(lease.memberId).toBe(i);
        if (step > 0)
          await store.recordResult(lease, success(step, scores[i] ?? 0, `ck-${i}-${step}`));
        await store.release(lease);
      }
    }

    async function member(store: Store, memberId: number, id = 'exp'): Promise<MemberRecord> {
      const found = (await store.listMembers(id)).find((m) => m.id === memberId);
      if (found === undefined) throw new Error(`member ${memberId} not listed`);
      return found;
    }

    describe('experiments', () => {
      it('creates an experiment whose members start pending at step 0 with token 0', async () => {
        const store = await open();
        const created = await store.createExperiment({
          id: 'exp',
          task: 'toy',
          config: { budget: 100 },
          seed: 42,
          members: [hparamsOf(0), hparamsOf(1), hparamsOf(2)],
          now: T0,
        });
        const expected = {
          id: 'exp',
          task: 'toy',
          config: { budget: 100 },
          seed: 42,
          status: 'running',
          createdAt: T0,
          populationSize: 3,
        };
        expect(created).toEqual(expected);
        expect(await store.getExperiment('exp')).toEqual(expected);
        expect(await store.listMembers('exp')).toEqual(
          [0, 1, 2].map((i) => ({
            experimentId: 'exp',
            id: i,
            step: 0,
            score: null,
            lastFailed: false,
            hparams: hparamsOf(i),
            checkpoint: null,
            status: 'pending',
            decisionDue: false,
            consecutiveFailures: 0,
            leaseOwner: null,
            leaseExpiresAt: null,
            token: 0,
            failureReason: null,
          })),
        );
      });

      it('answers null or empty for an unknown experiment', async () => {
        const store = await open();
        expect(await store.getExperiment('nope')).toBeNull();
        expect(await store.listExperiments()).toEqual([]);
        expect(await store.listMembers('nope')).toEqual([]);
        expect(await store.listResults('nope')).toEqual([]);
        expect(await store.listLineage('nope')).toEqual([]);
        await expect(store.claimMember('nope', claimOpts('w', T0))).rejects.toBeInstanceOf(
          NotFoundError,
        );
        await expect(store.setExperimentStatus('nope', 'done')).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });

      it('keeps the config and hyperparameters as they were at creation', async () => {
        const store = await open();
        const config = { nested: { values: [1, 0.1 + 0.2] }, name: 'x' };
        const members = [{ lr: 0.1 }, { lr: 0.2 }];
        const created = await store.createExperiment({
          id: 'exp',
          task: 'toy',
          config,
          seed: 1,
          members,
          now: T0,
        });
        config.nested.values.push(99);
        config.name = 'changed';
        members[0] = { lr: 9 };
        (created.config as { name: string }).name = 'changed too';
        const again = await (await open()).getExperiment('exp');
        expect(again?.config).toEqual({ nested: { values: [1, 0.1 + 0.2] }, name: 'x' });
        expect((await store.listMembers('exp')).map((m) => m.hparams)).toEqual([
          { lr: 0.1 },
          { lr: 0.2 },
        ]);
      });

      it('refuses a duplicate id with code EXISTS and keeps the first experiment', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const duplicate = store.createExperiment({
          id: 'exp',
          task: 'other',
          config: {},
          seed: 3,
          members: [{ lr: 1 }],
          now: T0 + 5,
        });
        await expect(duplicate).rejects.toBeInstanceOf(PbtError);
        await expect(duplicate).rejects.toMatchObject({ code: 'EXISTS' });
        expect(await store.getExperiment('exp')).toMatchObject({ task: 'toy', populationSize: 2 });
        expect(await store.listMembers('exp')).toHaveLength(2);
      });

      it('changes only the status with setExperimentStatus', async () => {
        const store = await open();
        await create(store);
        const before = await store.getExperiment('exp');
        await store.setExperimentStatus('exp', 'stopped');
        expect(await (await open()).getExperiment('exp')).toEqual({ ...before, status: 'stopped' });
        await store.setExperimentStatus('exp', 'done');
        expect((await store.getExperiment('exp'))?.status).toBe('done');
      });

      it('lists experiments newest first', async () => {
        const store = await open();
        await create(store, 'a', 1, T0 + 1);
        await create(store, 'b', 1, T0 + 3);
        await create(store, 'c', 1, T0 + 2);
        expect((await store.listExperiments()).map((e) => e.id)).toEqual(['b', 'c', 'a']);
      });
    });

    describe('claims', () => {
      it('leases the member: status running, token incremented, owner and expiry set', async () => {
        const store = await open();
        await create(store);
        const lease = await claimOrThrow(store, claimOpts('w1', T0 + 10));
        const expected = {
          ...(await store.listMembers('exp'))[0],
          status: 'running',
          token: 1,
          leaseOwner: 'w1',
          leaseExpiresAt: T0 + 10 + LEASE_MS,
        };
        expect(lease).toEqual({
          experimentId: 'exp',
          memberId: 0,
          workerId: 'w1',
          token: 1,
          member: expected,
        });
        expect(await member(store, 0)).toEqual(expected);
      });

      it('never claims an excluded member', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        const lease = await claimOrThrow(store, claimOpts('w1', T0, { exclude: [0, 1] }));
        expect(lease.memberId).toBe(2);
        expect(await store.claimMember('exp', claimOpts('w1', T0, { exclude: [0, 1] }))).toBeNull();
      });

      it('with whileRunning, claims nothing once the experiment is stopped or done', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        const running = claimOpts('w', T0, { whileRunning: true });
        expect((await claimOrThrow(store, running)).memberId).toBe(0);
        for (const status of ['stopped', 'done'] as const) {
          await store.setExperimentStatus('exp', status);
          expect(await store.claimMember('exp', running)).toBeNull();
          expect((await member(store, 1)).status).toBe('pending');
        }
        // Without it the claim ignores the status; an unknown experiment still throws.
        expect((await claimOrThrow(store, claimOpts('w', T0))).memberId).toBe(1);
        await store.setExperimentStatus('exp', 'running');
        expect((await claimOrThrow(store, running)).memberId).toBe(2);
        await expect(store.claimMember('nope', running)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('claims the least-advanced member first, then preferMember, then the lowest id', async () => {
        const store = await open();
        await create(store, 'exp', 5);
        await advance(store, [2, 1, 1, 0, 1]);
        const order: number[] = [];
        const claim = async (prefer?: number): Promise<void> => {
          const opts = claimOpts('w', T0, prefer === undefined ? {} : { preferMember: prefer });
          order.push((await claimOrThrow(store, opts)).memberId);
        };
        await claim(0); // 3 is the only member at step 0: preference does not beat progress
        await claim(4); // step 1: 1, 2, 4 → preferred 4
        await claim(); // step 1: 1, 2 → lowest id
        await claim(0); // step 1: 2 → 2, still ahead of the preferred 0 at step 2
        await claim();
        expect(order).toEqual([3, 4, 1, 2, 0]);
        expect(await store.claimMember('exp', claimOpts('w', T0))).toBeNull();
      });

      it('with barrier, claims only members at the lowest step and waits while one is leased', async () => {
        const store = await open();
        await create(store, 'exp', 4);
        await advance(store, [1, 0, 1, 0]);
        const barrier = (now = T0): ClaimOptions => claimOpts('w', now, { barrier: true });
        const first = await claimOrThrow(store, barrier());
        const second = await claimOrThrow(store, barrier());
        expect([first.memberId, second.memberId]).toEqual([1, 3]);
        // 0 and 2 are free but ahead of the leased members at step 0.
        expect(await store.claimMember('exp', barrier())).toBeNull();
        await store.recordResult(first, success(1, 0.5, 'ck-1-1'));
        await store.release(first);
        expect(await store.claimMember('exp', barrier())).toBeNull();
        // Without the barrier the least-advanced free member is claimable.
        const free = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 2 }));
        expect(free.memberId).toBe(2);
        await store.release(free);
        await store.recordResult(second, success(1, 0.5, 'ck-3-1'));
        await store.release(second);
        const next = await claimOrThrow(store, barrier());
        expect(next.memberId).toBe(0);
      });

      it('with barrier, ignores done and failed members when finding the lowest step', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        const stuck = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 0 }));
        await store.failMember(stuck, 'diverged');
        const finished = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }));
        await store.recordResult(finished, success(1, 0.9, 'ck', { done: true }));
        const next = await claimOrThrow(store, claimOpts('w', T0, { barrier: true }));
        expect(next.memberId).toBe(2);
        await store.recordResult(next, success(3, 0.2, 'ck-2'));
        await store.release(next);
        expect((await claimOrThrow(store, claimOpts('w', T0, { barrier: true }))).memberId).toBe(2);
      });

      it('never claims done or failed members, however late', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        const a = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(a, success(10, 0.9, 'ck-a', { done: true }));
        const b = await claimOrThrow(store, claimOpts('w', T0));
        await store.failMember(b, 'too many failures');
        const late = T0 + 1e12;
        const c = await claimOrThrow(store, claimOpts('w2', late));
        expect([a.memberId, b.memberId, c.memberId]).toEqual([0, 1, 2]);
        expect(await store.claimMember('exp', claimOpts('w3', late + 2 * LEASE_MS))).toMatchObject({
          memberId: 2,
        });
        expect(await store.claimMember('exp', claimOpts('w4', late + 2 * LEASE_MS))).toBeNull();
        const statuses = (await store.listMembers('exp')).map((m) => m.status);
        expect(statuses).toEqual(['done', 'failed', 'running']);
      });

      it('never hands one member to two concurrent claims over two connections', async () => {
        const one = await open();
        const two = await open();
        await create(one, 'exp', 10);
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? one : two).claimMember('exp', claimOpts(`w${i}`, T0)),
          ),
        );
        const won = claims.filter((c): c is Lease => c !== null);
        expect(won.map((c) => c.memberId).sort((x, y) => x - y)).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
        ]);
        expect(won.every((c) => c.token === 1)).toBe(true);
        expect(await one.claimMember('exp', claimOpts('late', T0 + 1))).toBeNull();
        expect(await two.claimMember('exp', claimOpts('late', T0 + 1))).toBeNull();
        const owners = (await two.listMembers('exp')).map((m) => m.leaseOwner);
        expect(owners).toEqual(
          [...won].sort((x, y) => x.memberId - y.memberId).map((c) => c.workerId),
        );
      });
    });

    // Store.recordAndClaim, through recordThenClaim: the record, then (in the same write where
    // the store can) the claim a worker makes next, preferring the member it just recorded.
    // Either way the pair must claim what recordResult + claimMember would.
    describe('record, then claim', () => {
      const next = async (store: Store, lease: Lease, result: ReadyResult): Promise<Lease> =>
        (await recordThenClaim(
          store,
          lease,
          result,
          claimOpts('w', T0 + 5, { whileRunning: true }),
        )) ?? (await claimOrThrow(store, claimOpts('w', T0 + 5, { preferMember: lease.memberId })));

      it('records the result and claims a less-advanced member', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        const claimed = await next(store, lease, success(5, 0.7, 'ck-0-5', { release: true }));
        expect(claimed).toMatchObject({ memberId: 1, token: 1, workerId: 'w' });
        expect(claimed.member).toMatchObject({ status: 'running', leaseOwner: 'w', step: 0 });
        expect(await member(store, 1)).toEqual(claimed.member);
        expect(await member(store, 0)).toMatchObject({
          status: 'pending',
          step: 5,
          score: 0.7,
          checkpoint: 'ck-0-5',
          decisionDue: true,
          leaseOwner: null,
        });
        expect((await store.listResults('exp')).map((r) => [r.memberId, r.step])).toEqual([[0, 5]]);
        expect((await member(store, 2)).status).toBe('pending');
      });

      it('leaves the recorded member to the next claim when it is still first (a tie included)', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        await advance(store, [0, 5, 9]);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        expect(lease.memberId).toBe(0);
        const claimed = await next(store, lease, success(5, 0.1, 'ck-0-5', { release: true }));
        expect(claimed).toMatchObject({ memberId: 0, token: 3 });
        expect(claimed.member).toMatchObject({ step: 5, checkpoint: 'ck-0-5', decisionDue: true });
        expect((await member(store, 1)).status).toBe('pending');
      });

      it('claims any other member once the recorded one is done', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        await advance(store, [0, 9]);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        const claimed = await next(store, lease, success(5, 0.3, 'ck-0-5', { done: true }));
        expect(claimed.memberId).toBe(1);
        expect((await member(store, 0)).status).toBe('done');
      });

      it('hands the claimed member the population with the recorded score for its decision', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        await advance(store, [3, 0], [0.2, 0]);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        expect(lease.memberId).toBe(1);
        const claimed = await next(store, lease, success(6, 0.9, 'ck-1-6', { release: true }));
        expect(claimed.memberId).toBe(0);
        expect(claimed.member.decisionDue).toBe(true);
        let seen: readonly MemberView[] = [];
        const applied = await store.applyDecision(claimed, T0 + 6, (_self, population) => {
          seen = population;
          return { kind: 'exploit', donor: 1, hparams: { lr: 0.9 }, operations: ['copy'] };
        });
        expect(seen.map((m) => [m.id, m.step, m.score])).toEqual([
          [0, 3, 0.2],
          [1, 6, 0.9],
        ]);
        expect(applied).toMatchObject({ checkpoint: 'ck-1-6', member: { hparams: { lr: 0.9 } } });
      });

      it('claims nothing once the experiment is stopped, and still records', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.setExperimentStatus('exp', 'stopped');
        const claimed = await recordThenClaim(
          store,
          lease,
          success(5, 0.5, 'ck-0-5', { release: true }),
          claimOpts('w', T0 + 5, { whileRunning: true }),
        );
        expect(claimed).toBeNull();
        expect((await store.listMembers('exp')).map((m) => [m.status, m.step])).toEqual([
          ['pending', 5],
          ['pending', 0],
        ]);
      });

      it('never hands one member to two concurrent record-then-claims over two connections', async () => {
        const one = await open();
        const two = await open();
        await create(one, 'exp', 12);
        const held: Lease[] = [];
        for (let i = 0; i < 6; i++) held.push(await claimOrThrow(one, claimOpts(`w${i}`, T0)));
        const next = await Promise.all(
          held.map((lease, i) =>
            recordThenClaim(
              i % 2 === 0 ? one : two,
              lease,
              success(3, 0.1 * i, `ck-${lease.memberId}-3`, { release: true }),
              claimOpts(lease.workerId, T0 + 1),
            ),
          ),
        );
        const claimed = next.filter((l): l is Lease => l !== null).map((l) => l.memberId);
        // Members 6-11 are at step 0, below the recorded ones: each claim takes one of them
        // (a store without recordAndClaim only records; its caller claims afterwards).
        expect(claimed).toHaveLength(one.recordAndClaim === undefined ? 0 : 6);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed.every((id) => id >= 6)).toBe(true);
        const members = await two.listMembers('exp');
        expect(
          members
            .filter((m) => m.status === 'running')
            .map((m) => m.id)
            .sort(),
        ).toEqual([...claimed].sort());
        expect(members.slice(0, 6).every((m) => m.step === 3 && m.status === 'pending')).toBe(true);
        expect(await two.listResults('exp')).toHaveLength(6);
      });

      it('with a stale lease, records nothing and claims nothing', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.release(lease);
        const taken = await claimOrThrow(store, claimOpts('w2', T0, { preferMember: 0 }));
        expect(taken.memberId).toBe(0);
        await expect(
          recordThenClaim(
            store,
            lease,
            success(5, 0.5, 'ck', { release: true }),
            claimOpts('w', T0 + 5),
          ),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await store.listResults('exp')).toEqual([]);
        expect(await member(store, 1)).toMatchObject({ status: 'pending', token: 0 });
      });
    });

    describe('leases', () => {
      it('lets another worker claim an expired lease and then fences the old token on every write', async () => {
        const one = await open();
        const two = await open();
        await create(one, 'exp', 1);
        const stale = await claimOrThrow(one, { workerId: 'a', leaseMs: 1000, now: T0 });
        await one.recordResult(stale, success(1, 0.3, 'ck-a-1'));
        expect(await two.claimMember('exp', claimOpts('b', T0 + 999))).toBeNull();
        const fresh = await claimOrThrow(two, claimOpts('b', T0 + 1000));
        expect(fresh).toMatchObject({ memberId: 0, token: 2, workerId: 'b' });
        const before = await one.listMembers('exp');

        const writes: [string, () => Promise<unknown>][] = [
          ['heartbeat', () => one.heartbeat(stale, 1000, T0 + 1001)],
          ['recordResult', () => one.recordResult(stale, success(2, 0.9, 'ck-a-2'))],
          [
            'recordResult with release',
            () => one.recordResult(stale, success(2, 0.9, 'ck-a-2', { release: true })),
          ],
          ['applyDecision', () => one.applyDecision(stale, T0 + 1001, continueDecision)],
          ['release', () => one.release(stale)],
          ['failMember', () => one.failMember(stale, 'stale worker')],
        ];
        for (const [what, write] of writes) {
          await expect(write(), what).rejects.toBeInstanceOf(LeaseLostError);
        }
        expect(await two.listMembers('exp')).toEqual(before);
        expect((await two.listResults('exp')).map((r) => r.checkpoint)).toEqual(['ck-a-1']);
        expect(await two.listLineage('exp')).toEqual([]);
        // The new owner is unaffected.
        await two.recordResult(fresh, success(2, 0.4, 'ck-b-2'));
        expect(await member(one, 0)).toMatchObject({ step: 2, checkpoint: 'ck-b-2', token: 2 });
      });

      it('fences by token, even when the same worker id claims the member again', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const old = await claimOrThrow(store, { workerId: 'a', leaseMs: 1000, now: T0 });
        // E.g. a restarted worker process that reuses its id.
        const renewed = await claimOrThrow(store, { workerId: 'a', leaseMs: 1000, now: T0 + 1000 });
        expect(renewed.token).toBe(old.token + 1);
        await expect(store.recordResult(old, success(1, 0.5, 'ck'))).rejects.toBeInstanceOf(
          LeaseLostError,
        );
        await expect(store.release(old)).rejects.toBeInstanceOf(LeaseLostError);
        await store.recordResult(renewed, success(1, 0.5, 'ck'));
        expect(await member(store, 0)).toMatchObject({ step: 1, token: 2, status: 'running' });
      });

      it('lets the owner keep using an expired lease that nobody claimed', async () => {
        const one = await open();
        const two = await open();
        await create(one, 'exp', 1);
        const lease = await claimOrThrow(one, { workerId: 'a', leaseMs: 1000, now: T0 });
        await one.heartbeat(lease, 1000, T0 + 5000);
        expect(await member(two, 0)).toMatchObject({ leaseExpiresAt: T0 + 6000, leaseOwner: 'a' });
        expect(await two.claimMember('exp', claimOpts('b', T0 + 5500))).toBeNull();
        await one.recordResult(lease, success(1, 0.5, 'ck'));
        expect(await member(two, 0)).toMatchObject({ step: 1, token: 1 });
      });

      it('extends the lease with heartbeat', async () => {
        const one = await open();
        const two = await open();
        await create(one, 'exp', 1);
        const lease = await claimOrThrow(one, { workerId: 'a', leaseMs: 1000, now: T0 });
        await one.heartbeat(lease, 1000, T0 + 900);
        expect((await member(two, 0)).leaseExpiresAt).toBe(T0 + 1900);
        expect(await two.claimMember('exp', claimOpts('b', T0 + 1500))).toBeNull();
        const taken = await claimOrThrow(two, claimOpts('b', T0 + 1900));
        expect(taken).toMatchObject({ memberId: 0, token: 2 });
        await expect(one.heartbeat(lease, 1000, T0 + 1901)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it('gives the member back on release; the released lease is no longer valid', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const lease = await claimOrThrow(store, claimOpts('a', T0));
        await store.recordResult(lease, success(1, 0.5, 'ck'));
        await store.release(lease);
        expect(await member(store, 0)).toMatchObject({
          status: 'pending',
          leaseOwner: null,
          leaseExpiresAt: null,
          token: 1,
          step: 1,
          decisionDue: true,
        });
        await expect(store.release(lease)).rejects.toBeInstanceOf(LeaseLostError);
        await expect(store.heartbeat(lease, 1000, T0)).rejects.toBeInstanceOf(LeaseLostError);
        const again = await claimOrThrow(store, claimOpts('b', T0 + 1));
        expect(again).toMatchObject({ memberId: 0, token: 2, workerId: 'b' });
        expect(again.member.decisionDue).toBe(true);
      });
    });

    describe('results', () => {
      it('records a successful ready point on the member and appends a result', async () => {
        const one = await open();
        await create(one, 'exp', 2);
        const lease = await claimOrThrow(one, claimOpts('w', T0, { preferMember: 1 }));
        await one.recordResult(lease, {
          step: 25,
          metrics: { score: 0.75, accuracy: 0.8 },
          hparams: { lr: 0.01, optimizer: 'adam' },
          checkpoint: 'ck-25',
          done: false,
          now: T0 + 7,
          trainSeconds: 3.25,
        });
        const two = await open();
        expect(await member(two, 1)).toMatchObject({
          step: 25,
          score: 0.75,
          lastFailed: false,
          checkpoint: 'ck-25',
          decisionDue: true,
          consecutiveFailures: 0,
          status: 'running',
          leaseOwner: 'w',
          token: 1,
        });
        const results = await two.listResults('exp');
        expect(results).toEqual([
          {
            id: expect.any(Number) as number,
            experimentId: 'exp',
            memberId: 1,
            step: 25,
            score: 0.75,
            metrics: { score: 0.75, accuracy: 0.8 },
            error: null,
            hparams: { lr: 0.01, optimizer: 'adam' },
            checkpoint: 'ck-25',
            time: T0 + 7,
            trainSeconds: 3.25,
          },
        ]);
      });

      it('keeps score and checkpoint on a failed ready point and counts consecutive failures', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(1, 0.6, 'ck-1'));
        await store.recordResult(lease, failure(2, 'loss is NaN'));
        await store.recordResult(lease, failure(3, 'task threw'));
        expect(await member(store, 0)).toMatchObject({
          step: 3,
          score: 0.6,
          lastFailed: true,
          checkpoint: 'ck-1',
          consecutiveFailures: 2,
          decisionDue: true,
        });
        const failed = (await store.listResults('exp'))[2];
        expect(failed).toMatchObject({
          step: 3,
          score: null,
          metrics: null,
          error: 'task threw',
          checkpoint: null,
        });
        await store.recordResult(lease, success(4, 0.7, 'ck-4'));
        expect(await member(store, 0)).toMatchObject({
          score: 0.7,
          lastFailed: false,
          checkpoint: 'ck-4',
          consecutiveFailures: 0,
        });
      });

      it('records a result and gives the lease back in the same write with release', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(1, 0.6, 'ck-1', { release: true }));
        expect(await member(store, 0)).toMatchObject({
          step: 1,
          score: 0.6,
          checkpoint: 'ck-1',
          decisionDue: true,
          status: 'pending',
          leaseOwner: null,
          leaseExpiresAt: null,
          token: 1,
        });
        expect(await store.listResults('exp')).toHaveLength(1);
        // The lease is gone, as after release: no further write goes through.
        await expect(store.release(lease)).rejects.toBeInstanceOf(LeaseLostError);
        await expect(
          store.recordResult(lease, success(2, 0.7, 'ck-2', { release: true })),
        ).rejects.toBeInstanceOf(LeaseLostError);
        expect(await store.listResults('exp')).toHaveLength(1);

        // A failed ready point released the same way keeps score and checkpoint, counts failures.
        const again = await claimOrThrow(store, claimOpts('w', T0 + 1, { preferMember: 0 }));
        expect(again.memberId).toBe(1);
        const first = await claimOrThrow(store, claimOpts('v', T0 + 1));
        expect(first).toMatchObject({ memberId: 0, token: 2 });
        await store.recordResult(first, { ...failure(2, 'task threw'), release: true });
        expect(await member(store, 0)).toMatchObject({
          step: 2,
          score: 0.6,
          lastFailed: true,
          checkpoint: 'ck-1',
          consecutiveFailures: 1,
          status: 'pending',
          leaseOwner: null,
        });
        // A done result ends the lease as 'done', release or not.
        await store.recordResult(again, success(5, 0.9, 'ck-1-5', { done: true, release: true }));
        expect(await member(store, 1)).toMatchObject({ status: 'done', leaseOwner: null });
      });

      it('lists the most recently recorded results, oldest first, up to a limit', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const a = await claimOrThrow(store, claimOpts('a', T0));
        const b = await claimOrThrow(store, claimOpts('b', T0));
        await store.recordResult(a, success(10, 0.1, 'a-10'));
        await store.recordResult(b, success(10, 0.2, 'b-10'));
        await store.recordResult(a, failure(20, 'task threw'));
        await store.recordResult(b, success(20, 0.4, 'b-20'));
        const recent = await store.listRecentResults('exp', 3);
        expect(recent.map((r) => [r.memberId, r.step, r.score])).toEqual([
          [b.memberId, 10, 0.2],
          [a.memberId, 20, null],
          [b.memberId, 20, 0.4],
        ]);
        expect(recent[2]).toEqual(
          (await store.listResults('exp')).find((r) => r.checkpoint === 'b-20'),
        );
        expect(await store.listRecentResults('exp', 100)).toHaveLength(4);
        expect(await store.listRecentResults('exp', 0)).toEqual([]);
        expect(await store.listRecentResults('nope', 5)).toEqual([]);
      });

      it('finishes a member on a done result: lease cleared, no decision due', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(100, 0.9, 'ck-100', { done: true }));
        expect(await member(store, 0)).toMatchObject({
          status: 'done',
          step: 100,
          score: 0.9,
          decisionDue: false,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        await expect(store.recordResult(lease, success(101, 1, 'x'))).rejects.toBeInstanceOf(
          LeaseLostError,
        );
        expect(await store.claimMember('exp', claimOpts('w', T0 + 1e9))).toBeNull();
        expect(await store.listResults('exp')).toHaveLength(1);
      });

      it('refuses non-finite scores and metrics and stores nothing', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        const before = await store.listMembers('exp');
        const bad = [
          { score: Number.NaN },
          { score: Number.POSITIVE_INFINITY },
          { score: Number.NEGATIVE_INFINITY },
          { score: 0.5, loss: Number.NaN },
        ];
        for (const metrics of bad) {
          const attempt = store.recordResult(lease, { ...success(1, 0, 'ck'), metrics });
          await expect(attempt).rejects.toBeInstanceOf(PbtError);
        }
        expect(await store.listMembers('exp')).toEqual(before);
        expect(await store.listResults('exp')).toEqual([]);
      });

      it('lists results by member, then step, then insertion', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        await create(store, 'other', 1);
        const m0 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 0 }));
        const m1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }));
        const o0 = await claimOrThrow(store, claimOpts('w', T0), 'other');
        await store.recordResult(m1, success(1, 0.1, 'a'));
        await store.recordResult(o0, success(1, 0.1, 'o'));
        await store.recordResult(m0, success(2, 0.2, 'b'));
        await store.recordResult(m1, failure(2, 'first try'));
        await store.recordResult(m0, success(1, 0.3, 'c'));
        await store.recordResult(m1, success(2, 0.4, 'd'));
        const results = await store.listResults('exp');
        expect(results.map((r) => [r.memberId, r.step, r.checkpoint ?? r.error])).toEqual([
          [0, 1, 'c'],
          [0, 2, 'b'],
          [1, 1, 'a'],
          [1, 2, 'first try'],
          [1, 2, 'd'],
        ]);
        const [, , , retryFirst, retrySecond] = results;
        expect(retryFirst?.id).toBeLessThan(retrySecond?.id ?? 0);
        expect(await store.listResults('other')).toHaveLength(1);
      });

      it('round-trips numbers exactly', async () => {
        const one = await open();
        const awkward = [
          0.1 + 0.2,
          1e-300,
          5e-324,
          Number.MAX_VALUE,
          -1.2345678901234566e-7,
          1 / 3,
        ];
        await one.createExperiment({
          id: 'exp',
          task: 'toy',
          config: { values: awkward, big: Number.MAX_SAFE_INTEGER },
          seed: 2 ** 40 + 1,
          members: awkward.map((x) => ({ lr: x, name: 'm' })),
          now: T0,
        });
        for (const [i, score] of awkward.entries()) {
          const lease = await claimOrThrow(one, claimOpts('w', T0, { preferMember: i }));
          await one.recordResult(lease, {
            step: 1,
            metrics: { score, other: awkward[(i + 1) % awkward.length] ?? 0 },
            hparams: { lr: score },
            checkpoint: `ck-${i}`,
            done: false,
            now: T0 + i,
            trainSeconds: score,
          });
        }
        const two = await open();
        expect((await two.getExperiment('exp'))?.config).toEqual({
          values: awkward,
          big: Number.MAX_SAFE_INTEGER,
        });
        expect((await two.getExperiment('exp'))?.seed).toBe(2 ** 40 + 1);
        const members = await two.listMembers('exp');
        expect(members.map((m) => m.score)).toEqual(awkward);
        expect(members.map((m) => m.hparams.lr)).toEqual(awkward);
        const results = await two.listResults('exp');
        expect(results.map((r) => r.score)).toEqual(awkward);
        expect(results.map((r) => r.metrics?.score)).toEqual(awkward);
        expect(results.map((r) => r.hparams.lr)).toEqual(awkward);
        expect(results.map((r) => r.trainSeconds)).toEqual(awkward);
        for (const [i, x] of awkward.entries()) expect(results[i]?.score === x).toBe(true);
      });
    });

    describe('decisions', () => {
      it('passes decide the member and the whole population in id order', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        await advance(store, [2, 1, 0], [0.5, 0.25, 0]);
        const mine = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }));
        expect(mine.memberId).toBe(2);
        let seen: { self: MemberView; population: PopulationSnapshot } | null = null;
        await store.applyDecision(mine, T0, (self, population) => {
          seen = { self, population };
          return { kind: 'continue' };
        });
        const view = (i: number, step: number, score: number | null, status: string) => ({
          id: i,
          step,
          score,
          lastFailed: false,
          hparams: hparamsOf(i),
          checkpoint: step > 0 ? `ck-${i}-${step}` : null,
          status,
          // Recorded results await their decision; ASHA reads this.
          decisionDue: step > 0,
        });
        expect(seen).toEqual({
          self: view(2, 0, null, 'running'),
          population: [
            view(0, 2, 0.5, 'pending'),
            view(1, 1, 0.25, 'pending'),
            view(2, 0, null, 'running'),
          ],
        });
      });

      it('retire finishes the member as done (not failed) and ends the lease', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(5, 0.5, 'ck-5'));
        const applied = await store.applyDecision(lease, T0 + 1, () => ({
          kind: 'retire',
          reason: 'not promoted',
        }));
        expect(applied.decision.kind).toBe('retire');
        const after = await member(store, 0);
        expect(after).toMatchObject({
          status: 'done',
          leaseOwner: null,
          step: 5,
          decisionDue: false,
          failureReason: null,
        });
        await expect(store.release(lease)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it('clears decisionDue on continue and changes nothing else', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(5, 0.5, 'ck-5'));
        const before = await member(store, 0);
        const applied = await store.applyDecision(lease, T0 + 1, continueDecision);
        const after = { ...before, decisionDue: false };
        expect(applied).toEqual({
          decision: { kind: 'continue' },
          checkpoint: null,
          member: after,
        });
        expect(await member(store, 0)).toEqual(after);
        expect(await store.listLineage('exp')).toEqual([]);
      });

      it('exploits: takes the donor checkpoint and hyperparameters and logs lineage in the same write', async () => {
        const one = await open();
        await create(one, 'exp', 3);
        await advance(one, [4, 4, 4], [0.9, 0.1, 0.5]);
        const lease = await claimOrThrow(one, claimOpts('w', T0, { preferMember: 1 }));
        const newHparams = { lr: 0.0024, layers: 1, optimizer: 'adam' };
        const applied = await one.applyDecision(lease, T0 + 50, () => ({
          kind: 'exploit',
          donor: 0,
          hparams: newHparams,
          operations: ['lr*1.2'],
        }));
        const two = await open();
        const stored = await member(two, 1);
        expect(stored).toMatchObject({
          hparams: newHparams,
          checkpoint: 'ck-0-4',
          step: 4,
          decisionDue: false,
          status: 'running',
          leaseOwner: 'w',
        });
        expect(applied).toEqual({
          decision: { kind: 'exploit', donor: 0, hparams: newHparams, operations: ['lr*1.2'] },
          checkpoint: 'ck-0-4',
          member: stored,
        });
        expect(await two.listLineage('exp')).toEqual([
          {
            id: expect.any(Number) as number,
            experimentId: 'exp',
            memberId: 1,
            step: 4,
            donor: 0,
            donorStep: 4,
            donorCheckpoint: 'ck-0-4',
            oldHparams: hparamsOf(1),
            newHparams,
            operations: ['lr*1.2'],
            time: T0 + 50,
          },
        ]);
        // The member's own old checkpoint is no longer referenced; the donor's is, twice.
        expect(await two.referencedCheckpoints()).toEqual(new Set(['ck-0-4', 'ck-2-4']));
      });

      it('refuses to exploit a donor without a checkpoint, an unknown donor or itself', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        await advance(store, [2, 0, 2]);
        const lease = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 2 }));
        expect(lease.memberId).toBe(1);
        await store.recordResult(lease, success(2, 0.1, 'ck-1-2'));
        const before = await store.listMembers('exp');
        for (const donor of [3, 1]) {
          const attempt = store.applyDecision(lease, T0, () => ({
            kind: 'exploit',
            donor,
            hparams: { lr: 1 },
            operations: [],
          }));
          await expect(attempt).rejects.toBeInstanceOf(PbtError);
        }
        const fresh = await store.createExperiment({
          id: 'fresh',
          task: 'toy',
          config: {},
          seed: 1,
          members: [{ lr: 1 }, { lr: 2 }],
          now: T0,
        });
        const noCheckpoint = await claimOrThrow(store, claimOpts('w', T0), fresh.id);
        const attempt = store.applyDecision(noCheckpoint, T0, () => ({
          kind: 'exploit',
          donor: 1,
          hparams: { lr: 2 },
          operations: [],
        }));
        await expect(attempt).rejects.toMatchObject({ code: 'INVALID_DECISION' });
        expect(await store.listMembers('exp')).toEqual(before);
        expect(await store.listMembers(fresh.id)).toMatchObject([
          { hparams: { lr: 1 }, checkpoint: null },
          { hparams: { lr: 2 }, checkpoint: null },
        ]);
        expect(await store.listLineage('exp')).toEqual([]);
        expect(await store.listLineage(fresh.id)).toEqual([]);
      });

      it('changes nothing when decide throws', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        await advance(store, [3, 0]);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, success(3, 0.1, 'ck-1-3'));
        const before = await store.listMembers('exp');
        const boom = new Error('strategy bug');
        await expect(
          store.applyDecision(lease, T0, () => {
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store.listMembers('exp')).toEqual(before);
        expect(await store.listLineage('exp')).toEqual([]);
        // The lease is still held and usable.
        const applied = await store.applyDecision(lease, T0, () => ({
          kind: 'exploit',
          donor: 0,
          hparams: { lr: 3 },
          operations: ['resample lr'],
        }));
        expect(applied.checkpoint).toBe('ck-0-3');
      });

      it('stops a member: failed with the reason, lease gone, never claimed again', async () => {
        const store = await open();
        await create(store, 'exp', 1);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.recordResult(lease, failure(1, 'diverged'));
        const applied = await store.applyDecision(lease, T0, () => ({
          kind: 'stop',
          reason: 'diverged twice',
        }));
        const expected = {
          status: 'failed',
          failureReason: 'diverged twice',
          decisionDue: false,
          leaseOwner: null,
          leaseExpiresAt: null,
        };
        expect(applied.member).toMatchObject(expected);
        expect(await member(store, 0)).toMatchObject(expected);
        expect(await store.claimMember('exp', claimOpts('w', T0 + 1e9))).toBeNull();
        await expect(store.release(lease)).rejects.toBeInstanceOf(LeaseLostError);
      });

      it('marks a member failed for good with failMember', async () => {
        const store = await open();
        await create(store, 'exp', 2);
        const lease = await claimOrThrow(store, claimOpts('w', T0));
        await store.failMember(lease, '3 consecutive failures');
        expect(await member(store, 0)).toMatchObject({
          status: 'failed',
          failureReason: '3 consecutive failures',
          leaseOwner: null,
        });
        expect((await claimOrThrow(store, claimOpts('w', T0 + 1e9))).memberId).toBe(1);
        expect(await store.claimMember('exp', claimOpts('w', T0 + 1e9))).toBeNull();
      });

      it('lists lineage events in the order they happened', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        await create(store, 'other', 2);
        await advance(store, [1, 1, 1], [0.9, 0.2, 0.1]);
        await advance(store, [1, 1], [0.9, 0.2], 'other');
        const exploit = (donor: number) => (): Decision => ({
          kind: 'exploit',
          donor,
          hparams: { lr: donor },
          operations: [],
        });
        const l2 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 2 }));
        await store.applyDecision(l2, T0 + 1, exploit(0));
        const o1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }), 'other');
        await store.applyDecision(o1, T0 + 2, exploit(0));
        const l1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }));
        await store.applyDecision(l1, T0 + 3, exploit(2));
        const events = await store.listLineage('exp');
        expect(events.map((e) => [e.memberId, e.donor, e.donorCheckpoint, e.time])).toEqual([
          [2, 0, 'ck-0-1', T0 + 1],
          [1, 2, 'ck-0-1', T0 + 3],
        ]);
        expect(events[1]?.oldHparams).toEqual(hparamsOf(1));
        expect(await store.listLineage('other')).toHaveLength(1);
      });
    });

    describe('incremental reads', () => {
      it('lists results and lineage after a cursor id, in id order, for one experiment only', async () => {
        const store = await open();
        await create(store, 'exp', 3);
        await create(store, 'other', 2);
        expect(await store.listResultsSince('exp', 0)).toEqual([]);
        expect(await store.listLineageSince('exp', 0)).toEqual([]);
        await advance(store, [2, 1, 1], [0.9, 0.2, 0.1]);
        await advance(store, [1, 1], [0.5, 0.5], 'other');
        const all = await store.listResultsSince('exp', 0);
        expect(all.map((r) => [r.memberId, r.step])).toEqual([
          [0, 2],
          [1, 1],
          [2, 1],
        ]);
        const ids = all.map((r) => r.id);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        const cursor = all.at(-1)?.id ?? 0;
        expect(await store.listResultsSince('exp', cursor)).toEqual([]);
        const m1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }));
        await store.recordResult(m1, success(2, 0.3, 'ck-1-2'));
        const later = await store.listResultsSince('exp', cursor);
        expect(later.map((r) => [r.memberId, r.step, r.score])).toEqual([[1, 2, 0.3]]);
        expect(later[0]).toEqual(
          (await store.listResults('exp')).find((r) => r.id === later[0]?.id),
        );
        const o1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }), 'other');
        await store.applyDecision(o1, T0 + 1, () => ({
          kind: 'exploit',
          donor: 0,
          hparams: { lr: 9 },
          operations: ['lr*1.2'],
        }));
        await store.applyDecision(m1, T0 + 2, () => ({
          kind: 'exploit',
          donor: 0,
          hparams: { lr: 1 },
          operations: ['lr*0.8'],
        }));
        const events = await store.listLineageSince('exp', 0);
        expect(events.map((e) => [e.memberId, e.donor, e.operations])).toEqual([
          [1, 0, ['lr*0.8']],
        ]);
        expect(await store.listLineageSince('exp', events[0]?.id ?? 0)).toEqual([]);
        expect(await store.listLineageSince('other', 0)).toHaveLength(1);
      });
    });

    describe('checkpoint references', () => {
      it('lists every current member checkpoint over all experiments, once', async () => {
        const store = await open();
        expect(await store.referencedCheckpoints()).toEqual(new Set());
        await create(store, 'a', 2);
        await create(store, 'b', 2);
        const a0 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 0 }), 'a');
        await store.recordResult(a0, success(1, 0.1, 'superseded'));
        await store.recordResult(a0, success(2, 0.2, 'kept'));
        await store.recordResult(a0, failure(3, 'a failure keeps the checkpoint'));
        const a1 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 1 }), 'a');
        await store.recordResult(a1, success(1, 0.1, 'shared'));
        const b0 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 0 }), 'b');
        await store.recordResult(b0, success(1, 0.1, 'shared'));
        expect(await (await open()).referencedCheckpoints()).toEqual(new Set(['kept', 'shared']));
      });

      it("retains each experiment's best result's checkpoint after its member moved on", async () => {
        const store = await open();
        await create(store, 'a', 2);
        await create(store, 'b', 1);
        const a0 = await claimOrThrow(store, claimOpts('w', T0, { preferMember: 0 }), 'a');
        await store.recordResult(a0, success(1, 0.1, 'a-worse'));
        await store.recordResult(a0, success(2, 0.9, 'a-best'));
        await store.recordResult(a0, success(3, 0.5, 'a-now'));
        const b0 = await claimOrThrow(store, claimOpts('w', T0), 'b');
        await store.recordResult(b0, success(1, 0.95, 'b-best'));
        // A tie keeps the earliest only: scores that plateau must not retain every checkpoint.
        await store.recordResult(b0, success(2, 0.95, 'b-tie'));
        await store.recordResult(b0, success(3, 0.2, 'b-now'));
        // Experiment a's best (0.9) is kept although b has a better score: retention is per experiment.
        expect(await store.referencedCheckpoints()).toEqual(
          new Set(['a-best', 'a-now', 'b-best', 'b-now']),
        );
      });
    });
  });
}
