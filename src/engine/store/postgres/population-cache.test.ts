import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from '../../../../test/fixtures/postgres-test-database.js';
import type { MemberView, PopulationSnapshot } from '../../core/types.js';
import { toView } from '../shared/member-transitions.js';
import type { Lease, Store } from '../store.js';
import { PostgresStore } from './postgres-store.js';

const server = await testPostgres();
const T0 = 1_700_000_000_000;

if (server.url === undefined) {
  describe('PostgreSQL incremental population reads', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const url = server.url;
  const schema = uniqueSchema('pbt_popcache');
  afterAll(() => dropSchema(url, schema));

  const claim = async (store: Store, workerId: string, now = T0): Promise<Lease> => {
    const lease = await store.claimMember('exp', { workerId, leaseMs: 60_000, now });
    if (lease === null) throw new Error('expected a lease');
    return lease;
  };

  /**
   * Applies a 'continue' decision for `lease` through `store` and returns the population its
   * decide saw, next to a full read taken just before (nothing else writes in between).
   */
  const decisionView = async (
    store: Store,
    lease: Lease,
  ): Promise<{ seen: PopulationSnapshot; full: MemberView[] }> => {
    const full = (await store.listMembers('exp')).map(toView);
    let seen: PopulationSnapshot = [];
    await store.applyDecision(lease, T0, (_self, population) => {
      seen = population;
      return { kind: 'continue' };
    });
    return { seen, full };
  };

  describe('PostgreSQL incremental population reads', () => {
    it('give every decision the population a full read gives, including a write that committed late', async () => {
      const target = schemaUrl(url, schema);
      const decider = await PostgresStore.open(target);
      const other = await PostgresStore.open(target);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await decider.createExperiment({
          id: 'exp',
          task: 'toy',
          config: {},
          seed: 1,
          members: Array.from({ length: 6 }, (_, i) => ({ lr: i / 10 })),
          now: T0,
        });
        // The deciding process holds member 0 throughout, and decides many times.
        const mine = await claim(decider, 'decider');
        expect(mine.memberId).toBe(0);
        let step = 1;
        const decideAndCompare = async (): Promise<void> => {
          await decider.recordResult(mine, {
            step: step++,
            metrics: { score: step / 100 },
            hparams: { lr: 0 },
            checkpoint: `ck-0-${step}`,
            done: false,
            now: T0,
            trainSeconds: 0,
          });
          const { seen, full } = await decisionView(decider, mine);
          expect(seen).toEqual(full);
        };

        await decideAndCompare(); // the first read is a full one
        // Another worker records results and exploits in between.
        for (let round = 0; round < 3; round++) {
          const lease = await claim(other, 'other');
          await other.recordResult(lease, {
            step: 10 + round,
            metrics: { score: 0.5 + round / 10 },
            hparams: lease.member.hparams,
            checkpoint: `ck-${lease.memberId}-${10 + round}`,
            done: false,
            release: round % 2 === 0,
            now: T0,
            trainSeconds: 0,
          });
          await decideAndCompare();
        }

        // The cursor trap: a transaction that started writing first (smaller xid) commits only
        // after a later one, and after the decider has read past the later one's change.
        await admin.query('BEGIN');
        await admin.query(`UPDATE ${schema}.members SET score = 0.99 WHERE id = 5`);
        const late = await claim(other, 'other-2');
        await other.recordResult(late, {
          step: 20,
          metrics: { score: 0.25 },
          hparams: late.member.hparams,
          checkpoint: 'ck-late',
          done: false,
          now: T0,
          trainSeconds: 0,
        });
        await decideAndCompare(); // sees `late`, not yet member 5
        await admin.query('COMMIT');
        await decideAndCompare(); // must now see member 5's score
        expect((await decider.listMembers('exp'))[5]?.score).toBe(0.99);

        // A rolled-back change leaves the cached row as it was.
        await admin.query('BEGIN');
        await admin.query(`UPDATE ${schema}.members SET score = 0.01 WHERE id = 4`);
        await admin.query('ROLLBACK');
        await decideAndCompare();
      } finally {
        await admin.end();
        await other.close();
        await decider.close();
      }
    });

    it('give a decision the population its claim read, as a full read at the claim gives it', async () => {
      const target = schemaUrl(url, schema);
      const decider = await PostgresStore.open(target);
      const other = await PostgresStore.open(target);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const record = (store: Store, lease: Lease, step: number, score: number): Promise<void> =>
        store.recordResult(lease, {
          step,
          metrics: { score },
          hparams: lease.member.hparams,
          checkpoint: `ck-${lease.memberId}-${step}`,
          done: false,
          release: true,
          now: T0,
          trainSeconds: 0,
        });
      try {
        await decider.createExperiment({
          id: 'claimed',
          task: 'toy',
          config: {},
          seed: 1,
          members: Array.from({ length: 6 }, (_, i) => ({ lr: i / 10 })),
          now: T0,
        });
        const claimFrom = async (store: Store, workerId: string): Promise<Lease> => {
          const lease = await store.claimMember('claimed', { workerId, leaseMs: 60_000, now: T0 });
          if (lease === null) throw new Error('expected a lease');
          return lease;
        };
        // Every member gets a first result: from then on every claim has a decision due.
        for (let i = 0; i < 6; i++) {
          const lease = await claimFrom(other, 'other');
          await record(other, lease, 1, i / 10);
        }
        let score = 0;
        const claimDecideCompare = async (): Promise<void> => {
          const lease = await claimFrom(decider, 'decider');
          expect(lease.member.decisionDue).toBe(true);
          const full = (await decider.listMembers('claimed')).map(toView);
          let seen: PopulationSnapshot = [];
          await decider.applyDecision(lease, T0, (_self, population) => {
            seen = population;
            return { kind: 'continue' };
          });
          expect(seen).toEqual(full);
          await record(decider, lease, lease.member.step + 1, (score += 0.01));
        };

        await claimDecideCompare(); // the first claim reads every member
        for (let round = 0; round < 4; round++) {
          const lease = await claimFrom(other, 'other');
          await record(other, lease, lease.member.step + 1, 0.5 + round / 10);
          await claimDecideCompare();
        }
        // A transaction that started writing before the claim commits only after it: the next
        // claim must still bring its change.
        await admin.query('BEGIN');
        await admin.query(
          `UPDATE ${schema}.members SET score = 0.99 WHERE experiment_id = 'claimed' AND id = 5`,
        );
        await claimDecideCompare();
        await admin.query('COMMIT');
        await claimDecideCompare();
        const members = await decider.listMembers('claimed');
        expect(members[5]?.score).toBe(0.99);
      } finally {
        await admin.end();
        await other.close();
        await decider.close();
      }
    });
  });
}
