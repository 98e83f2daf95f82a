import { RevoluteJoint, Settings, type TimeStep } from 'planck';

/*
 * The leg joints are the env's hot spot: planck runs each joint's velocity solver 180 times
 * per env step (velocity iterations 6 * 30), and planck 1.5.0's RevoluteJoint allocates
 * 5-8 small Vec2/Vec3 objects per call, so about half of the step time went to that method
 * and to the garbage collector collecting those objects. LegJoint is a RevoluteJoint whose
 * velocity and position solvers do the same floating-point operations in the same order on
 * plain numbers, so results are bit-identical (leg-joint.test.ts compares them with planck's
 * own methods step by step) without allocating. Everything else (initVelocityConstraints,
 * limit states, motor, serialisation) is planck's.
 */

/** planck limit states (the RevoluteJoint module's LimitState enum). */
const INACTIVE_LIMIT = 0;
const AT_LOWER_LIMIT = 1;
const AT_UPPER_LIMIT = 2;
const EQUAL_LIMITS = 3;

interface XY {
  x: number;
  y: number;
}
interface XYZ extends XY {
  z: number;
}
interface SolverBody {
  readonly c_velocity: { v: XY; w: number };
  readonly c_position: { c: XY; a: number };
}
/**
 * The planck 1.5.0 RevoluteJoint fields the solver reads. They are marked internal in
 * planck's typings, so they are declared here; the test fails if planck renames them.
 */
interface RevoluteInternals {
  readonly m_bodyA: SolverBody;
  readonly m_bodyB: SolverBody;
  readonly m_invMassA: number;
  readonly m_invMassB: number;
  readonly m_invIA: number;
  readonly m_invIB: number;
  readonly m_rA: XY;
  readonly m_rB: XY;
  /** The 3x3 effective mass matrix, by columns. */
  readonly m_mass: { readonly ex: XYZ; readonly ey: XYZ; readonly ez: XYZ };
  readonly m_impulse: XYZ;
  m_motorImpulse: number;
  readonly m_motorMass: number;
  readonly m_motorSpeed: number;
  readonly m_maxMotorTorque: number;
  readonly m_enableMotor: boolean;
  readonly m_enableLimit: boolean;
  readonly m_limitState: number;
  readonly m_localAnchorA: XY;
  readonly m_localAnchorB: XY;
  /** The bodies' local centres of mass, as of the last initVelocityConstraints. */
  readonly m_localCenterA: XY;
  readonly m_localCenterB: XY;
  readonly m_referenceAngle: number;
  readonly m_lowerAngle: number;
  readonly m_upperAngle: number;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** 1 / det of the upper-left 2x2 block of a 3x3 matrix given by columns, 0 if singular. */
function inverseDet22(ex: XYZ, ey: XYZ): number {
  const det = ex.x * ey.y - ey.x * ex.y;
  return det !== 0 ? 1.0 / det : det;
}

/** A planck RevoluteJoint with an allocation-free, bit-identical velocity solver. */
export class LegJoint extends RevoluteJoint {
  override solveVelocityConstraints(step: TimeStep): void {
    const j = this as unknown as RevoluteInternals;
    const velA = j.m_bodyA.c_velocity;
    const velB = j.m_bodyB.c_velocity;
    const vA = velA.v;
    const vB = velB.v;
    let wA = velA.w;
    let wB = velB.w;
    const mA = j.m_invMassA;
    const mB = j.m_invMassB;
    const iA = j.m_invIA;
    const iB = j.m_invIB;
    const rA = j.m_rA;
    const rB = j.m_rB;
    const fixedRotation = iA + iB === 0.0;

    // Motor: a clamped angular impulse (all scalar already in planck).
    if (j.m_enableMotor && j.m_limitState !== EQUAL_LIMITS && !fixedRotation) {
      const cdot = wB - wA - j.m_motorSpeed;
      let impulse = -j.m_motorMass * cdot;
      const oldImpulse = j.m_motorImpulse;
      const maxImpulse = step.dt * j.m_maxMotorTorque;
      j.m_motorImpulse = clamp(oldImpulse + impulse, -maxImpulse, maxImpulse);
      impulse = j.m_motorImpulse - oldImpulse;
      wA -= iA * impulse;
      wB += iB * impulse;
    }

    // Relative velocity of the anchor points: vB + wB x rB - vA - wA x rA. The "0 +" and
    // the grouping mirror planck's Vec2 accumulation exactly (it matters for -0 and rounding).
    let cx = 0 + (vB.x + -wB * rB.y);
    let cy = 0 + (vB.y + wB * rB.x);
    cx -= vA.x + -wA * rA.y;
    cy -= vA.y + wA * rA.x;

    const acc = j.m_impulse;
    // The effective mass matrix, by columns (symmetric; set by initVelocityConstraints).
    const { ex, ey, ez } = j.m_mass;
    if (j.m_enableLimit && j.m_limitState !== INACTIVE_LIMIT && !fixedRotation) {
      // Point and angle limit together: impulse = -K^-1 * (cx, cy, wB - wA), by Cramer's
      // rule term for term as planck's Mat33.solve33.
      const cz = wB - wA;
      const cof1 = ey.y * ez.z - ey.z * ez.y;
      const cof2 = ey.z * ez.x - ey.x * ez.z;
      const cof3 = ey.x * ez.y - ey.y * ez.x;
      let det = ex.x * cof1 + ex.y * cof2 + ex.z * cof3;
      if (det !== 0) det = 1.0 / det;
      let px = -(det * (cx * cof1 + cy * cof2 + cz * cof3));
      let py = -(
        det *
        (ex.x * (cy * ez.z - cz * ez.y) +
          ex.y * (cz * ez.x - cx * ez.z) +
          ex.z * (cx * ez.y - cy * ez.x))
      );
      let pz = -(
        det *
        (ex.x * (ey.y * cz - ey.z * cy) +
          ex.y * (ey.z * cx - ey.x * cz) +
          ex.z * (ey.x * cy - ey.y * cx))
      );
      const state = j.m_limitState;
      const newZ = acc.z + pz;
      if ((state === AT_LOWER_LIMIT && newZ < 0.0) || (state === AT_UPPER_LIMIT && newZ > 0.0)) {
        // The limit would pull: drop its accumulated impulse and solve the point part only.
        const rhsX = -1 * cx + acc.z * ez.x;
        const rhsY = -1 * cy + acc.z * ez.y;
        const det2 = inverseDet22(ex, ey);
        px = det2 * (ey.y * rhsX - ey.x * rhsY);
        py = det2 * (ex.x * rhsY - ex.y * rhsX);
        pz = -acc.z;
        acc.x += px;
        acc.y += py;
        acc.z = 0.0;
      } else {
        acc.x += px;
        acc.y += py;
        acc.z += pz;
      }
      vA.x -= mA * px;
      vA.y -= mA * py;
      wA -= iA * (rA.x * py - rA.y * px + pz);
      vB.x += mB * px;
      vB.y += mB * py;
      wB += iB * (rB.x * py - rB.y * px + pz);
    } else {
      // Point-to-point only: impulse = K22^-1 * -(cx, cy) (Mat33.solve22).
      const nx = -cx;
      const ny = -cy;
      const det2 = inverseDet22(ex, ey);
      const px = det2 * (ey.y * nx - ey.x * ny);
      const py = det2 * (ex.x * ny - ex.y * nx);
      acc.x += px;
      acc.y += py;
      vA.x -= mA * px;
      vA.y -= mA * py;
      wA -= iA * (rA.x * py - rA.y * px);
      vB.x += mB * px;
      vB.y += mB * py;
      wB += iB * (rB.x * py - rB.y * px);
    }
    velA.w = wA;
    velB.w = wB;
  }

  override solvePositionConstraints(_step: TimeStep): boolean {
    const j = this as unknown as RevoluteInternals;
    const posA = j.m_bodyA.c_position;
    const posB = j.m_bodyB.c_position;
    const cA = posA.c;
    const cB = posB.c;
    let aA = posA.a;
    let aB = posB.a;
    const mA = j.m_invMassA;
    const mB = j.m_invMassB;
    const iA = j.m_invIA;
    const iB = j.m_invIB;
    const angularSlop = Settings.angularSlop;
    const maxCorrection = Settings.maxAngularCorrection;
    let angularError = 0.0;

    // Angle limit: rotate both bodies back towards the limit, at most maxCorrection.
    if (j.m_enableLimit && j.m_limitState !== INACTIVE_LIMIT && iA + iB !== 0.0) {
      const angle = aB - aA - j.m_referenceAngle;
      let limitImpulse = 0.0;
      if (j.m_limitState === EQUAL_LIMITS) {
        const c = clamp(angle - j.m_lowerAngle, -maxCorrection, maxCorrection);
        limitImpulse = -j.m_motorMass * c;
        angularError = Math.abs(c);
      } else if (j.m_limitState === AT_LOWER_LIMIT) {
        const c = angle - j.m_lowerAngle;
        angularError = -c;
        limitImpulse = -j.m_motorMass * clamp(c + angularSlop, -maxCorrection, 0.0);
      } else if (j.m_limitState === AT_UPPER_LIMIT) {
        const c = angle - j.m_upperAngle;
        angularError = c;
        limitImpulse = -j.m_motorMass * clamp(c - angularSlop, 0.0, maxCorrection);
      }
      aA -= iA * limitImpulse;
      aB += iB * limitImpulse;
    }

    // Point constraint: anchor offsets rotated by the (corrected) angles, as Rot.mulVec2.
    const sinA = Math.sin(aA);
    const cosA = Math.cos(aA);
    const sinB = Math.sin(aB);
    const cosB = Math.cos(aB);
    const lax = j.m_localAnchorA.x - j.m_localCenterA.x;
    const lay = j.m_localAnchorA.y - j.m_localCenterA.y;
    const lbx = j.m_localAnchorB.x - j.m_localCenterB.x;
    const lby = j.m_localAnchorB.y - j.m_localCenterB.y;
    const rAx = cosA * lax - sinA * lay;
    const rAy = sinA * lax + cosA * lay;
    const rBx = cosB * lbx - sinB * lby;
    const rBy = sinB * lbx + cosB * lby;
    // Separation of the anchors, accumulated like planck's Vec2 (see the velocity solver).
    let cx = 0 + (cB.x + rBx);
    let cy = 0 + (cB.y + rBy);
    cx -= cA.x + rAx;
    cy -= cA.y + rAy;
    const positionError = Math.sqrt(cx * cx + cy * cy);

    // impulse = -K^-1 * C with K the 2x2 point mass matrix (Mat22.solve).
    const kxx = mA + mB + iA * rAy * rAy + iB * rBy * rBy;
    const kxy = -iA * rAx * rAy - iB * rBx * rBy;
    const kyy = mA + mB + iA * rAx * rAx + iB * rBx * rBx;
    let det = kxx * kyy - kxy * kxy;
    if (det !== 0) det = 1.0 / det;
    const px = -(det * (kyy * cx - kxy * cy));
    const py = -(det * (kxx * cy - kxy * cx));
    cA.x -= mA * px;
    cA.y -= mA * py;
    aA -= iA * (rAx * py - rAy * px);
    cB.x += mB * px;
    cB.y += mB * py;
    aB += iB * (rBx * py - rBy * px);
    posA.a = aA;
    posB.a = aB;
    return (
      positionError <= Settings.linearSlop * Settings.lengthUnitsPerMeter &&
      angularError <= angularSlop
    );
  }
}
