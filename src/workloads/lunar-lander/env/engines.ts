import type { Body } from 'planck';
import {
  ACTION_LEFT,
  ACTION_MAIN,
  ACTION_RIGHT,
  MAIN_ENGINE_POWER,
  MAIN_ENGINE_Y_LOCATION,
  SCALE,
  SIDE_ENGINE_AWAY,
  SIDE_ENGINE_HEIGHT,
  SIDE_ENGINE_MAGIC_X,
  SIDE_ENGINE_POWER,
  type LunarLanderAction,
} from './constants.js';

/** Engine powers used this step (discrete actions: each 0 or 1), for the fuel cost. */
export interface EnginePowers {
  main: number;
  side: number;
}

// Reused on every call: planck reads impulse and point without keeping them.
const impulse = { x: 0, y: 0 };
const point = { x: 0, y: 0 };

/**
 * Fires the engine chosen by `action` as a linear impulse on the hull at a point given
 * relative to the hull ORIGIN (not its centre of mass), as the reference does.
 * `d0`, `d1` are the two dispersion values (uniform in [-1, 1] / SCALE) the caller drew
 * this step; they are drawn on every step, also for a no-op, to keep the rng stream aligned.
 * Writes the powers into `out` and returns it.
 */
export function fireEngines(
  hull: Body,
  action: LunarLanderAction,
  d0: number,
  d1: number,
  out: EnginePowers,
): EnginePowers {
  out.main = 0;
  out.side = 0;
  if (action !== ACTION_MAIN && action !== ACTION_LEFT && action !== ACTION_RIGHT) return out;
  const angle = hull.getAngle();
  // tip = (sin, cos), side = (-cos, sin) in the reference.
  const s = Math.sin(angle);
  const c = Math.cos(angle);
  const origin = hull.getPosition();
  if (action === ACTION_MAIN) {
    const m = 1.0;
    const along = MAIN_ENGINE_Y_LOCATION / SCALE + 2 * d0;
    const ox = s * along - c * d1;
    const oy = -c * along - s * d1;
    point.x = origin.x + ox;
    point.y = origin.y + oy;
    impulse.x = -ox * MAIN_ENGINE_POWER * m;
    impulse.y = -oy * MAIN_ENGINE_POWER * m;
    hull.applyLinearImpulse(impulse, point, true);
    out.main = m;
    return out;
  }
  const direction = action - 2; // -1 for left (1), +1 for right (3)
  const sPower = 1.0;
  const k = 3 * d1 + (direction * SIDE_ENGINE_AWAY) / SCALE;
  const ox = s * d0 - c * k;
  const oy = -c * d0 - s * k;
  // The 17 px horizontal term (vs 14 px height) makes the lever arm angle-dependent: a
  // known quirk of the reference, kept on purpose.
  point.x = origin.x + ox - (s * SIDE_ENGINE_MAGIC_X) / SCALE;
  point.y = origin.y + oy + (c * SIDE_ENGINE_HEIGHT) / SCALE;
  impulse.x = -ox * SIDE_ENGINE_POWER * sPower;
  impulse.y = -oy * SIDE_ENGINE_POWER * sPower;
  hull.applyLinearImpulse(impulse, point, true);
  out.side = sPower;
  return out;
}
