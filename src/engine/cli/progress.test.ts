import { describe, expect, it } from 'vitest';
import type { MemberRecord } from '../store/store.js';
import { progressOf } from './progress.js';

const member = (id: number, step: number, status: MemberRecord['status']): MemberRecord => ({
  experimentId: 'e',
  id,
  step,
  score: step / 100,
  lastFailed: false,
  hparams: {},
  checkpoint: null,
  status,
  decisionDue: false,
  consecutiveFailures: 0,
  leaseOwner: null,
  leaseExpiresAt: null,
  token: 0,
  failureReason: null,
});

describe('progressOf', () => {
  it('counts members finished early (ASHA retired, failed) at the steps they trained', () => {
    const p = progressOf(
      [
        member(0, 90, 'done'),
        member(1, 10, 'done'),
        member(2, 30, 'running'),
        member(3, 5, 'failed'),
      ],
      90,
    );
    expect(p.stepsTotal).toBe(90 + 10 + 90 + 5);
    expect(p.stepsDone).toBe(90 + 10 + 30 + 5);
    expect(p.membersDone).toBe(2);
  });

  it('uses the planned total when the run knows it (ASHA), not every member at full budget', () => {
    // Nine configurations on rungs 10/30/90 (eta 3) cost 210 steps, not 9 x 90 = 810.
    const members = Array.from({ length: 9 }, (_, i) => member(i, 10, 'pending'));
    expect(progressOf(members, 90).stepsTotal).toBe(810);
    expect(progressOf(members, 90, 210).stepsTotal).toBe(210);
  });
});
