/**
 * Constants of Gym's LunarLander-v2 (gym 0.21 / 0.26, Gymnasium 0.29 v2 and 1.x v3 share them).
 * Sizes written in "px" in the reference are divided by SCALE to get metres.
 */

/** Physics steps per simulated second; one env step advances 1/FPS s. */
export const FPS = 50;
/** Pixels per metre. */
export const SCALE = 30;

export const MAIN_ENGINE_POWER = 13.0;
export const SIDE_ENGINE_POWER = 0.6;
/** Bound of each component of the random push given to the hull at reset, in N. */
export const INITIAL_RANDOM = 1000.0;

/** Hull outline in body coordinates (px), in the reference's vertex order. */
export const LANDER_POLY: readonly (readonly [number, number])[] = [
  [-14, 17],
  [-17, 0],
  [-17, -10],
  [17, -10],
  [17, 0],
  [14, 17],
];

export const LEG_AWAY = 20;
export const LEG_DOWN = 18;
/** Leg box half-extents (px): the leg is 4 x 16 px. */
export const LEG_W = 2;
export const LEG_H = 8;
export const LEG_SPRING_TORQUE = 40;

export const SIDE_ENGINE_HEIGHT = 14;
export const SIDE_ENGINE_AWAY = 12;
/** How far below the hull origin the main engine pushes (px). */
export const MAIN_ENGINE_Y_LOCATION = 4;
/**
 * Horizontal term of the side-engine application point (px). The reference uses 17 where
 * 14 (SIDE_ENGINE_HEIGHT) was presumably meant; kept for fidelity.
 */
export const SIDE_ENGINE_MAGIC_X = 17;

export const VIEWPORT_W = 600;
export const VIEWPORT_H = 400;
/** World width and height in metres. */
export const W = VIEWPORT_W / SCALE;
export const H = VIEWPORT_H / SCALE;

export const CHUNKS = 11;
/** The reference smooths with 0.33, not 1/3, so the pad surface sits at 0.99 * H/4. */
export const SMOOTHING_FACTOR = 0.33;

export const GRAVITY_Y = -10;
export const VELOCITY_ITERATIONS = 6 * 30;
export const POSITION_ITERATIONS = 2 * 30;

/** gym registers LunarLander-v2 with a 1000-step TimeLimit. */
export const MAX_EPISODE_STEPS = 1000;

export const HULL_DENSITY = 5.0;
export const HULL_FRICTION = 0.1;
export const LEG_DENSITY = 1.0;
export const TERRAIN_FRICTION = 0.1;

export const CATEGORY_TERRAIN = 0x0001;
export const CATEGORY_HULL = 0x0010;
export const CATEGORY_LEG = 0x0020;

/** Discrete actions. */
export const ACTION_NOOP = 0;
export const ACTION_LEFT = 1;
export const ACTION_MAIN = 2;
export const ACTION_RIGHT = 3;
export type LunarLanderAction = 0 | 1 | 2 | 3;
export const ACTION_COUNT = 4;
