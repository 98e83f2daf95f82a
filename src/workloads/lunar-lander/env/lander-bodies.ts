import { Box, Polygon, type Body, type World } from 'planck';
import type { Rng } from '../../../engine/core/rng.js';
import { LegJoint } from './leg-joint.js';
import { uniform } from './uniform.js';
import {
  CATEGORY_HULL,
  CATEGORY_LEG,
  CATEGORY_TERRAIN,
  H,
  HULL_DENSITY,
  HULL_FRICTION,
  INITIAL_RANDOM,
  LANDER_POLY,
  LEG_AWAY,
  LEG_DENSITY,
  LEG_DOWN,
  LEG_H,
  LEG_SPRING_TORQUE,
  LEG_W,
  SCALE,
  W,
} from './constants.js';

/** The hull and its two legs; legs[0] is the reference's i = -1 leg, legs[1] the i = +1 leg. */
export interface LanderBodies {
  readonly hull: Body;
  readonly legs: readonly [Body, Body];
}

/**
 * Creates the hull, gives it the random initial push (2 uniform draws, made right after
 * the hull exists and before the legs, as in the reference), then the legs and joints.
 * The push is a force, so it only acts during the next world step (the one inside reset).
 */
export function createLander(world: World, rng: Rng): LanderBodies {
  const initialX = W / 2;
  const initialY = H;
  const hull = world.createBody({
    type: 'dynamic',
    position: { x: initialX, y: initialY },
    angle: 0,
  });
  hull.createFixture(new Polygon(LANDER_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }))), {
    density: HULL_DENSITY,
    friction: HULL_FRICTION,
    restitution: 0,
    filterCategoryBits: CATEGORY_HULL,
    filterMaskBits: CATEGORY_TERRAIN,
  });
  const fx = uniform(rng, -INITIAL_RANDOM, INITIAL_RANDOM);
  const fy = uniform(rng, -INITIAL_RANDOM, INITIAL_RANDOM);
  hull.applyForceToCenter({ x: fx, y: fy }, true);

  const makeLeg = (i: -1 | 1): Body => {
    const angle = i * 0.05;
    const leg = world.createBody({
      type: 'dynamic',
      position: { x: initialX - (i * LEG_AWAY) / SCALE, y: initialY },
      angle,
    });
    leg.createFixture(new Box(LEG_W / SCALE, LEG_H / SCALE), {
      density: LEG_DENSITY,
      restitution: 0,
      filterCategoryBits: CATEGORY_LEG,
      filterMaskBits: CATEGORY_TERRAIN,
    });
    world.createJoint(
      // A RevoluteJoint with planck's maths but an allocation-free velocity solver.
      new LegJoint({
        bodyA: hull,
        bodyB: leg,
        localAnchorA: { x: 0, y: 0 },
        localAnchorB: { x: (i * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
        // pybox2d fills this from the bodies' angles: leg angle - hull angle.
        referenceAngle: angle - hull.getAngle(),
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: LEG_SPRING_TORQUE,
        motorSpeed: 0.3 * i,
        lowerAngle: i === -1 ? 0.9 - 0.5 : -0.9,
        upperAngle: i === -1 ? 0.9 : -0.9 + 0.5,
      }),
    );
    return leg;
  };
  // Creation order matters for the reference's legs array (and observation entries 6, 7).
  const leg0 = makeLeg(-1);
  const leg1 = makeLeg(1);
  return { hull, legs: [leg0, leg1] };
}
