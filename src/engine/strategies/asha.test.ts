import { describe, expect, it } from 'vitest';
import type { MemberView } from '../core/types.js';
import {
  ashaConfigs,
  ashaCost,
  ashaRungs,
  ashaRungSizes,
  ashaVerdict,
  defaultMinSteps,
  nextRung,
  type AshaSettings,
} from './asha.js';

const settings: AshaSettings = { eta: 3, rungs: [10, 30, 90] };

function member(
  id: number,
  step: number,
  score: number | null,
  extra: Partial<MemberView> = {},
): MemberView {
  return {
    id,
    step,
    score,
    lastFailed: false,
    hparams: {},
    checkpoint: step > 0 ? `c${id}` : null,
    status: 'pending',
    decisionDue: step > 0,
    ...extra,
  };
}

describe('ASHA rungs and budget', () => {
  it('places rungs at r0·η^i below the budget, then the budget', () => {
    expect(ashaRungs(10, 90, 3)).toEqual([10, 30, 90]);
    expect(ashaRungs(22, 200, 3)).toEqual([22, 66, 200]);
    expect(ashaRungs(25, 100, 2)).toEqual([25, 50, 100]);
    expect(ashaRungs(200, 200, 3)).toEqual([200]);
    expect(() => ashaRungs(0, 90, 3)).toThrow(/minSteps/);
    expect(() => ashaRungs(10, 90, 1)).toThrow(/eta/);
  });

  // Hand-worked: 9 configs → 9 reach 10 steps, ⌊9/3⌋ = 3 reach 30, ⌊3/3⌋ = 1 reaches 90:
  // 9·10 + 3·20 + 1·60 = 210 steps.
  it('counts the exact cost of successive halving', () => {
    expect(ashaRungSizes(9, settings)).toEqual([9, 3, 1]);
    expect(ashaCost(9, settings)).toBe(210);
    expect(ashaCost(11, settings)).toBe(11 * 10 + 3 * 20 + 1 * 60);
  });

  it('fits as many configurations as the budget allows', () => {
    expect(ashaConfigs(210, settings)).toBe(9);
    expect(ashaConfigs(229, settings)).toBe(10); // 10·10 + 3·20 + 60 = 220; 11 costs 230
    expect(ashaConfigs(5, settings)).toBe(1);
  });

  it('by default fits one full bracket into the budget', () => {
    expect(defaultMinSteps(200, 3, 400)).toBe(66);
    const toy = { eta: 3, rungs: ashaRungs(66, 200, 3) };
    expect(toy.rungs).toEqual([66, 200]);
    expect(ashaConfigs(400, toy)).toBe(4); // 4 configs to 66 steps, the best of them to 200
    expect(ashaCost(4, toy)).toBe(398);
    expect(defaultMinSteps(90, 3, 360)).toBe(3); // rungs 3, 9, 27, 90
    expect(defaultMinSteps(90, 3, 100)).toBe(90); // no room: every configuration to R
  });

  it('trains each member to the next rung', () => {
    expect(nextRung(0, settings.rungs)).toBe(10);
    expect(nextRung(10, settings.rungs)).toBe(30);
    expect(nextRung(45, settings.rungs)).toBe(90);
  });
});

describe('ASHA promotion rule (hand-worked example, η = 3, rungs 10/30/90)', () => {
  const noResults = new Map<number, Map<number, number>>();

  it('waits while fewer than η members finished the rung', () => {
    const pop = [member(0, 10, 0.9), member(1, 10, 0.5), member(2, 0, null)];
    expect(ashaVerdict(pop[0]!, pop, noResults, settings).kind).toBe('wait');
  });

  it('promotes the best of three, and only it', () => {
    const pop = [member(0, 10, 0.5), member(1, 10, 0.9), member(2, 10, 0.7), member(3, 0, null)];
    expect(ashaVerdict(pop[1]!, pop, noResults, settings).kind).toBe('promote');
    // 0 and 2 rank below: member 3 may still arrive (n = 4 → still one slot), so they wait.
    expect(ashaVerdict(pop[2]!, pop, noResults, settings).kind).toBe('wait');
    expect(ashaVerdict(pop[0]!, pop, noResults, settings).kind).toBe('wait');
  });

  it('a promoted member keeps its slot: a better latecomer waits for the next slot', () => {
    // Member 1 was promoted at n = 3 (decision applied, training towards 30); member 3 arrives
    // with a better score: ⌊4/3⌋ = 1 slot, already used.
    const pop = [
      member(0, 10, 0.5),
      member(1, 10, 0.9, { decisionDue: false, status: 'running' }),
      member(2, 10, 0.7),
      member(3, 10, 0.95),
      member(4, 0, null),
      member(5, 0, null),
    ];
    expect(ashaVerdict(pop[3]!, pop, noResults, settings).kind).toBe('wait');
    // Two more members finish the rung: ⌊6/3⌋ = 2 slots, one used; member 3 is the best waiting.
    const later = [...pop.slice(0, 4), member(4, 10, 0.1), member(5, 10, 0.2)];
    expect(ashaVerdict(later[3]!, later, noResults, settings).kind).toBe('promote');
    expect(ashaVerdict(later[2]!, later, noResults, settings).kind).toBe('retire');
  });

  it('ranks members already past the rung by their score at the rung, from the results', () => {
    // Member 1 is at 30 now; its score at 10 (from results) was 0.9.
    const pop = [
      member(0, 10, 0.5),
      member(1, 30, 0.99),
      member(2, 10, 0.7),
      member(3, 10, 0.6),
      member(4, 10, 0.4),
      member(5, 10, 0.3),
    ];
    const results = new Map([[1, new Map([[10, 0.9]])]]);
    // n = 6 → 2 slots, 1 used by member 1: the best waiting (member 2) is promoted.
    expect(ashaVerdict(pop[2]!, pop, results, settings).kind).toBe('promote');
    expect(ashaVerdict(pop[3]!, pop, results, settings).kind).toBe('retire');
    // Without member 1's rung score the verdict waits rather than guess.
    expect(ashaVerdict(pop[2]!, pop, noResults, settings).kind).toBe('wait');
  });

  it('retires members at a rung once nobody can reach it any more', () => {
    const pop = [member(0, 10, 0.5), member(1, 10, 0.9), member(2, 4, null, { status: 'failed' })];
    // n = 2 → no slot at all; nobody arriving: both retire.
    expect(ashaVerdict(pop[1]!, pop, noResults, settings).kind).toBe('retire');
  });

  it('a member at the last rung has nothing left to decide', () => {
    const pop = [member(0, 90, 0.5)];
    expect(ashaVerdict(pop[0]!, pop, noResults, settings).kind).toBe('promote');
  });
});
