import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { validateHparams } from '../core/space.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Decision, MemberView } from '../core/types.js';
import { decide, RECOVERY_OPERATION, type DecideConfig } from './decide.js';
import type { CustomExplore } from './explore.js';

const space: SearchSpace = {
  lr: { type: 'loguniform', min: 1e-4, max: 1e-1 },
  width: { type: 'categorical', values: [32, 64, 128] },
};

function member(id: number, score: number | null, over: Partial<MemberView> = {}): MemberView {
  return {
    id,
    step: 1000,
    score,
    lastFailed: false,
    hparams: { lr: 0.001 * (id + 1), width: 64 },
    checkpoint: `ckpt-${id}`,
    status: 'running',
    ...over,
  };
}

const pop = (scores: readonly number[]): MemberView[] => scores.map((s, id) => member(id, s));
const pbt: DecideConfig = { exploit: { kind: 'truncation' }, explore: {} };

describe('decide', () => {
  it('a bottom member exploits a top member, with explored hparams and operations', () => {
    const members = pop([0.9, 0.8, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1]);
    const self = members[7] as MemberView;
    const cfg: DecideConfig = { ...pbt, explore: { resampleProbability: 0 } };
    const d = decide(self, members, cfg, space, createRng(1));
    expect(d.kind).toBe('exploit');
    if (d.kind !== 'exploit') return;
    expect([0, 1]).toContain(d.donor);
    const donor = members[d.donor] as MemberView;
    expect(() => validateHparams(space, d.hparams)).not.toThrow();
    // Perturbed by ×0.8 or ×1.2, width shifted to a neighbour.
    const ratio = Number(d.hparams.lr) / Number(donor.hparams.lr);
    expect([0.8, 1.2].some((f) => Math.abs(ratio - f) < 1e-12)).toBe(true);
    expect([32, 128]).toContain(d.hparams.width);
    expect(d.operations).toHaveLength(2);
    expect(d.operations[0]).toMatch(/^lr /);
    expect(d.operations[1]).toMatch(/^width 64→(32|128) \(shift [+-]1\)$/);
  });

  it('a top or middle member continues', () => {
    const members = pop([0.9, 0.8, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1]);
    for (const id of [0, 1, 2, 3, 4, 5]) {
      expect(decide(members[id] as MemberView, members, pbt, space, createRng(id))).toEqual({
        kind: 'continue',
      });
    }
  });

  it('no exploit during burn-in', () => {
    const members = pop([0.9, 0.1]).map((m) => ({ ...m, step: 200 }));
    const self = members[1] as MemberView;
    const withBurnIn = { ...pbt, ready: { kind: 'steps', every: 100, burnIn: 300 } } as const;
    expect(decide(self, members, withBurnIn, space, createRng(1)).kind).toBe('continue');
    expect(decide({ ...self, step: 300 }, members, withBurnIn, space, createRng(1)).kind).toBe(
      'exploit',
    );
  });

  it('recovers a failed member from the top half of eligible members, even in burn-in', () => {
    // Eligible others: 0..5 (6 members) → top half = the best 3 (ids 0, 1, 2).
    const members = [
      ...pop([0.9, 0.8, 0.7, 0.3, 0.2, 0.1]),
      member(6, 0.95, { lastFailed: true, step: 0 }),
    ];
    const self = members[6] as MemberView;
    const cfg = { ...pbt, ready: { kind: 'steps', every: 100, burnIn: 1000 } } as const;
    const donors = new Set<number>();
    for (let s = 0; s < 300; s++) {
      const d = decide(self, members, cfg, space, createRng('rec', s));
      if (d.kind !== 'exploit') throw new Error(`expected exploit, got ${d.kind}`);
      expect(d.operations[0]).toBe(RECOVERY_OPERATION);
      expect(() => validateHparams(space, d.hparams)).not.toThrow();
      donors.add(d.donor);
    }
    expect([...donors].sort()).toEqual([0, 1, 2]);
    // Recovery works with any exploit kind except 'none'.
    const t = decide(
      self,
      members,
      { ...pbt, exploit: { kind: 'tournament' } },
      space,
      createRng(2),
    );
    expect(t.kind).toBe('exploit');
  });

  it('a failed member with no eligible donor continues (retries from its own checkpoint)', () => {
    const members = [member(0, 0.5, { checkpoint: null }), member(1, null, { lastFailed: true })];
    expect(decide(members[1] as MemberView, members, pbt, space, createRng(1))).toEqual({
      kind: 'continue',
    });
  });

  it("baselines (exploit 'none') stop a failed member and never exploit", () => {
    const members = [...pop([0.9, 0.8, 0.1]), member(3, null, { lastFailed: true, step: 400 })];
    const cfg: DecideConfig = { exploit: { kind: 'none' }, explore: {} };
    const d = decide(members[3] as MemberView, members, cfg, space, createRng(1));
    expect(d.kind).toBe('stop');
    if (d.kind === 'stop') expect(d.reason).toMatch(/member 3 failed at step 400/);
    expect(decide(members[2] as MemberView, members, cfg, space, createRng(1))).toEqual({
      kind: 'continue',
    });
  });

  it('uses the custom explore hook when given', () => {
    const custom: CustomExplore = (h) => ({
      hparams: { ...h, lr: 0.05 },
      operations: ['lr := 0.05'],
    });
    const members = pop([0.9, 0.1]);
    const d = decide(members[1] as MemberView, members, { ...pbt, custom }, space, createRng(1));
    expect(d).toEqual({
      kind: 'exploit',
      donor: 0,
      hparams: { lr: 0.05, width: 64 },
      operations: ['lr := 0.05'],
    });
  });

  it('same seed → same decisions; different seed → different decisions', () => {
    const members = pop([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01, 0]);
    const failed = member(12, null, { lastFailed: true });
    const all = [...members, failed];
    const run = (seed: string): Decision[] =>
      all.flatMap((self) =>
        Array.from({ length: 10 }, (_, round) =>
          decide(
            self,
            all,
            { ...pbt, exploit: { kind: 'tournament' } },
            space,
            createRng(seed, self.id, round),
          ),
        ),
      );
    const a = run('s1');
    expect(run('s1')).toEqual(a);
    expect(run('s2')).not.toEqual(a);
    expect(a.filter((d) => d.kind === 'exploit').length).toBeGreaterThan(20);
  });
});
