import { createRng } from '../core/rng.js';
import type { Hparams } from '../core/types.js';
import type { Store } from '../store/store.js';

/**
 * A made-up PBT experiment written through the real Store API, for dashboard tests and the
 * scale bench: `members` members with a result every `readyEvery` steps up to `results` ready
 * points each, and truncation exploits (bottom quarter copies a random top-quarter member,
 * lr ×0.8/×1.2) every `exploitEvery` ready points. Scores rise with steps and with lr near 0.01.
 */
export interface SyntheticOptions {
  readonly id: string;
  readonly members: number;
  readonly results: number;
  readonly readyEvery?: number;
  readonly exploitEvery?: number;
  readonly seed?: number;
  readonly name?: string;
  readonly task?: string;
  readonly group?: string;
  readonly method?: string;
  readonly now?: number;
  /** Leave the experiment 'running' (default: 'done'). */
  readonly running?: boolean;
}

export async function writeSyntheticExperiment(store: Store, o: SyntheticOptions): Promise<void> {
  const rng = createRng('synthetic', o.seed ?? 1);
  const every = o.readyEvery ?? 100;
  const exploitEvery = o.exploitEvery ?? 4;
  const t0 = o.now ?? Date.UTC(2026, 0, 1);
  const initial: Hparams[] = Array.from({ length: o.members }, () => ({
    lr: 10 ** (-4 + 3 * rng.next()),
    optimizer: rng.next() < 0.5 ? 'adam' : 'sgd',
  }));
  await store.createExperiment({
    id: o.id,
    task: o.task ?? 'toy',
    seed: o.seed ?? 1,
    config: {
      name: o.name ?? o.id,
      method: o.method ?? 'pbt',
      population: o.members,
      budget: { steps: o.results * every },
      ...(o.group !== undefined ? { group: o.group } : {}),
      space: {
        lr: { type: 'loguniform', min: 1e-4, max: 0.1 },
        optimizer: { type: 'categorical', values: ['adam', 'sgd'] },
      },
    },
    members: initial,
    now: t0,
  });
  const quality = initial.map(() => 0);
  let clock = t0;
  // Each member is leased once for the whole run (claims read the whole population; doing one
  // per result would make a big experiment quadratic to write).
  const leases = [];
  for (let i = 0; i < o.members; i++) {
    const lease = await store.claimMember(o.id, {
      workerId: `w${i % 8}`,
      leaseMs: 1e12,
      now: clock,
      preferMember: i,
    });
    if (lease === null) throw new Error(`member ${i} not claimable`);
    leases.push(lease);
  }
  const hparams = initial.map((h) => ({ ...h }));
  for (let k = 1; k <= o.results; k++) {
    for (const [i, lease] of leases.entries()) {
      clock += 10;
      const lr = hparams[i]?.lr as number;
      quality[i] =
        (quality[i] ?? 0) + 0.05 * Math.exp(-((Math.log10(lr) + 2) ** 2)) + 0.002 * rng.next();
      await store.recordResult(lease, {
        step: k * every,
        metrics: { score: quality[i] ?? 0, loss: 1 - (quality[i] ?? 0) },
        hparams: hparams[i] ?? {},
        checkpoint: `ck-${i}-${k}`,
        done: k === o.results && o.running !== true,
        now: clock,
        trainSeconds: 0.5,
      });
    }
    if (k === o.results || k % exploitEvery !== 0) continue;
    // Truncation selection: the bottom quarter copies a random member of the top quarter.
    const ranked = quality.map((q, i) => ({ q, i })).sort((a, b) => a.q - b.q);
    const q = Math.max(1, Math.floor(ranked.length / 4));
    for (const { i } of ranked.slice(0, q)) {
      const donor = ranked[ranked.length - 1 - rng.int(q)]?.i;
      const lease = leases[i];
      if (donor === undefined || donor === i || lease === undefined) continue;
      const factor = rng.next() < 0.5 ? 0.8 : 1.2;
      const next = { ...hparams[donor], lr: (hparams[donor]?.lr as number) * factor };
      await store.applyDecision(lease, clock, () => ({
        kind: 'exploit',
        donor,
        hparams: next,
        operations: [`lr*${factor}`],
      }));
      hparams[i] = next;
      quality[i] = quality[donor] ?? 0;
    }
  }
  // A running experiment's members are given back, for others to claim and continue.
  if (o.running === true) for (const lease of leases) await store.release(lease);
  if (o.running !== true) await store.setExperimentStatus(o.id, 'done');
}
