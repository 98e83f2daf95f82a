import { RevoluteJoint, type Body, type TimeStep } from 'planck';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../engine/core/rng.js';
import type { LunarLanderAction } from './constants.js';
import { heuristicAction } from './heuristic.js';
import { LegJoint } from './leg-joint.js';
import { LunarLander, type LunarLanderObservation } from './lunar-lander.js';

type Policy = (obs: LunarLanderObservation) => LunarLanderAction;

type VelocitySolve = (this: RevoluteJoint, step: TimeStep) => void;
type PositionSolve = (this: RevoluteJoint, step: TimeStep) => boolean;

// The solvers of each class, read without binding them.
const legVelocity = Reflect.get<RevoluteJoint, 'solveVelocityConstraints'>(
  LegJoint.prototype,
  'solveVelocityConstraints',
);
const legPosition = Reflect.get<RevoluteJoint, 'solvePositionConstraints'>(
  LegJoint.prototype,
  'solvePositionConstraints',
);
const planckVelocity = Reflect.get<RevoluteJoint, 'solveVelocityConstraints'>(
  RevoluteJoint.prototype,
  'solveVelocityConstraints',
);
const planckPosition = Reflect.get<RevoluteJoint, 'solvePositionConstraints'>(
  RevoluteJoint.prototype,
  'solvePositionConstraints',
);

/** Replaces the solvers of every LegJoint; afterEach puts LegJoint's own back. */
function setLegSolvers(velocity: VelocitySolve, position: PositionSolve): void {
  LegJoint.prototype.solveVelocityConstraints = velocity;
  LegJoint.prototype.solvePositionConstraints = position;
}

afterEach(() => setLegSolvers(legVelocity, legPosition));

function bodyState(b: Body): number[] {
  const p = b.getPosition();
  const v = b.getLinearVelocity();
  return [p.x, p.y, b.getAngle(), v.x, v.y, b.getAngularVelocity(), b.isAwake() ? 1 : 0];
}

/** Every float64 of the three bodies' states and every reward, step by step. */
function trajectory(seed: number, makePolicy: () => Policy): number[] {
  const env = new LunarLander();
  const policy = makePolicy();
  let obs = env.reset(seed);
  const out: number[] = [];
  for (;;) {
    const r = env.step(policy(obs));
    obs = r.observation;
    const { hull, legs } = env.bodies;
    out.push(r.reward, ...bodyState(hull), ...bodyState(legs[0]), ...bodyState(legs[1]));
    if (r.terminated || r.truncated) return out;
  }
}

/** Number of positions where the two arrays differ bit for bit (Object.is tells -0 from 0). */
function bitDifferences(a: readonly number[], b: readonly number[]): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

const randomPolicy = (seed: number) => (): Policy => {
  const rng = createRng('leg-joint-test', seed);
  return () => rng.int(4) as LunarLanderAction;
};

describe('LegJoint', () => {
  it('is what the env uses for both legs', () => {
    const env = new LunarLander();
    env.reset(0);
    const joints = [];
    for (let je = env.bodies.hull.getJointList(); je; je = je.next) joints.push(je.joint);
    expect(joints).toHaveLength(2);
    for (const joint of joints) expect(joint).toBeInstanceOf(LegJoint);
  });

  it("gives bit-identical trajectories to planck's RevoluteJoint solvers", () => {
    const cases: [number, () => Policy][] = [
      [0, () => heuristicAction],
      [1, () => heuristicAction],
      [2, () => heuristicAction],
      [0, randomPolicy(0)],
      [1, randomPolicy(1)],
      [2, randomPolicy(2)],
    ];
    // Which solver branches the episodes exercise: limit state 0 inactive, 1 at lower,
    // 2 at upper; "released" = the limit impulse was dropped (the reduced 2x2 solve).
    const seen = new Set<string>();
    type Internals = { m_limitState: number; m_impulse: { z: number } };
    setLegSolvers(
      function (step) {
        const j = this as unknown as Internals;
        const zBefore = j.m_impulse.z;
        legVelocity.call(this, step);
        seen.add(`velocity ${j.m_limitState}`);
        if (j.m_limitState !== 0 && zBefore !== 0 && j.m_impulse.z === 0) seen.add('released');
      },
      function (step) {
        seen.add(`position ${(this as unknown as Internals).m_limitState}`);
        return legPosition.call(this, step);
      },
    );
    const ours = cases.map(([seed, policy]) => trajectory(seed, policy));
    setLegSolvers(planckVelocity, planckPosition);
    const planck = cases.map(([seed, policy]) => trajectory(seed, policy));
    for (let i = 0; i < cases.length; i++) {
      expect(ours[i]?.length ?? 0).toBeGreaterThan(50 * 22);
      expect(bitDifferences(ours[i] ?? [], planck[i] ?? [])).toBe(0);
    }
    expect([...seen].sort()).toEqual([
      'position 0',
      'position 1',
      'position 2',
      'released',
      'velocity 0',
      'velocity 1',
      'velocity 2',
    ]);
  });

  it('the comparison can fail: a perturbed solver changes the trajectory', () => {
    const reference = trajectory(0, () => heuristicAction);
    setLegSolvers(function (step) {
      legVelocity.call(this, step);
      // One rounding step on the motor impulse, the smallest possible change.
      const j = this as unknown as { m_motorImpulse: number };
      j.m_motorImpulse *= 1 + Number.EPSILON;
    }, legPosition);
    expect(
      bitDifferences(
        trajectory(0, () => heuristicAction),
        reference,
      ),
    ).toBeGreaterThan(0);
  });
});
