import { World, type Body, type Contact } from 'planck';
import { PbtError } from '../../../engine/core/errors.js';
import { createRng, type Rng } from '../../../engine/core/rng.js';
import {
  ACTION_COUNT,
  ACTION_NOOP,
  FPS,
  GRAVITY_Y,
  H,
  LEG_DOWN,
  MAX_EPISODE_STEPS,
  POSITION_ITERATIONS,
  SCALE,
  VELOCITY_ITERATIONS,
  W,
  type LunarLanderAction,
} from './constants.js';
import { fireEngines, type EnginePowers } from './engines.js';
import { createLander, type LanderBodies } from './lander-bodies.js';
import { createMoon, generateTerrain, type Terrain } from './terrain.js';
import { uniform } from './uniform.js';

/**
 * The 8 observation entries as float32, like gym >= 0.21:
 * [x, y, vx, vy, angle, angularVelocity, leg0Contact, leg1Contact]. A new array every step.
 */
export type LunarLanderObservation = Float32Array;

/** Why an episode ended (or 'running'). 'at-rest' wins over a crash in the same step, as in gym. */
export type LunarLanderOutcome = 'running' | 'crashed' | 'out-of-bounds' | 'at-rest' | 'time-limit';

export interface LunarLanderInfo {
  /** Agent steps taken in this episode (the step inside reset is not counted). */
  readonly steps: number;
  readonly outcome: LunarLanderOutcome;
}

export interface LunarLanderStepResult {
  readonly observation: LunarLanderObservation;
  readonly reward: number;
  /** Crash, leaving the screen sideways (|x| >= 1) or coming to rest. */
  readonly terminated: boolean;
  /** The 1000-step time limit was reached (may be true together with `terminated`). */
  readonly truncated: boolean;
  readonly info: LunarLanderInfo;
}

/** Position and angle of one body, in metres and radians; for rendering. */
export interface BodyPose {
  readonly x: number;
  readonly y: number;
  readonly angle: number;
}

/** The lander's pose at one instant; for rendering. */
export interface LanderPose {
  readonly hull: BodyPose;
  readonly legs: readonly [BodyPose, BodyPose];
}

export interface LunarLanderOptions {
  /** TimeLimit; gym registers LunarLander-v2 with 1000. */
  readonly maxEpisodeSteps?: number;
}

/** True if `a` is a valid discrete action (an integer 0..3). */
export function isLunarLanderAction(a: unknown): a is LunarLanderAction {
  return typeof a === 'number' && Number.isInteger(a) && a >= 0 && a < ACTION_COUNT;
}

interface Episode {
  readonly world: World;
  readonly rng: Rng;
  readonly terrain: Terrain;
  readonly bodies: LanderBodies;
  gameOver: boolean;
  readonly legContact: [boolean, boolean];
  prevShaping: number | null;
  steps: number;
  done: boolean;
}

const HALF_W = W / 2;
const HALF_H = H / 2;

/**
 * Gym's LunarLander-v2 (discrete actions, no wind, gravity -10) on planck.js, with the
 * 1000-step TimeLimit built in. Like Gymnasium's v3, every reset builds a fresh world, so
 * a seed fully determines the episode. Exhaust particles are omitted: they only collide
 * with the static terrain, so they never affect the lander.
 */
export class LunarLander {
  readonly maxEpisodeSteps: number;
  private episode: Episode | null = null;
  // Scratch buffers reused by every step.
  private readonly state = new Float64Array(8);
  private readonly powers: EnginePowers = { main: 0, side: 0 };

  constructor(options: LunarLanderOptions = {}) {
    const max = options.maxEpisodeSteps ?? MAX_EPISODE_STEPS;
    if (!Number.isInteger(max) || max < 1) {
      throw new PbtError(
        'ENV_INVALID_OPTION',
        `LunarLander maxEpisodeSteps must be a positive integer, got ${String(max)}`,
      );
    }
    this.maxEpisodeSteps = max;
  }

  /**
   * Starts a new episode determined by `seed` (a safe integer): new world, terrain (12
   * draws), hull and initial push (2 draws), legs, then one no-op step (2 draws, one
   * physics step) whose observation is returned and which sets the shaping baseline.
   */
  reset(seed: number): LunarLanderObservation {
    if (!Number.isSafeInteger(seed)) {
      throw new PbtError(
        'ENV_INVALID_SEED',
        `LunarLander.reset needs an integer seed, got ${String(seed)}`,
      );
    }
    const rng = createRng('lunar-lander-v2', seed);
    const world = new World({ gravity: { x: 0, y: GRAVITY_Y }, allowSleep: true });
    const terrain = generateTerrain(rng);
    createMoon(world, terrain);
    const bodies = createLander(world, rng);
    const episode: Episode = {
      world,
      rng,
      terrain,
      bodies,
      gameOver: false,
      legContact: [false, false],
      prevShaping: null,
      steps: 0,
      done: false,
    };
    const { hull, legs } = bodies;
    const touches = (c: Contact, body: Body): boolean =>
      c.getFixtureA().getBody() === body || c.getFixtureB().getBody() === body;
    world.on('begin-contact', (c) => {
      if (touches(c, hull)) episode.gameOver = true;
      if (touches(c, legs[0])) episode.legContact[0] = true;
      if (touches(c, legs[1])) episode.legContact[1] = true;
    });
    world.on('end-contact', (c) => {
      if (touches(c, legs[0])) episode.legContact[0] = false;
      if (touches(c, legs[1])) episode.legContact[1] = false;
    });
    this.episode = episode;
    // gym's reset returns step(0)'s observation; its reward and termination are ignored.
    this.advance(episode, ACTION_NOOP);
    // Copying a typed array rounds to float32 like from() does, without from()'s iterator.
    return new Float32Array(this.state);
  }

  /** Applies one action for 1/50 s. Throws PbtError on an invalid action or a finished episode. */
  step(action: LunarLanderAction): LunarLanderStepResult {
    const episode = this.episode;
    if (episode === null) {
      throw new PbtError(
        'ENV_NOT_RESET',
        'LunarLander.step called before reset(seed); call reset first',
      );
    }
    if (episode.done) {
      throw new PbtError(
        'ENV_EPISODE_OVER',
        `LunarLander.step called after the episode ended (step ${episode.steps}); call reset(seed) to start a new one`,
      );
    }
    if (!isLunarLanderAction(action)) {
      throw new PbtError(
        'ENV_INVALID_ACTION',
        `LunarLander action must be an integer 0..3 (0 noop, 1 left engine, 2 main engine, 3 right engine), got ${String(action)}`,
      );
    }
    let reward = this.advance(episode, action);
    episode.steps++;
    const s = this.state;
    let terminated = false;
    let outcome: LunarLanderOutcome = 'running';
    // Termination REPLACES the step reward; the at-rest check comes second and wins.
    if (episode.gameOver || Math.abs(s[0] ?? 0) >= 1.0) {
      terminated = true;
      reward = -100;
      outcome = episode.gameOver ? 'crashed' : 'out-of-bounds';
    }
    if (!episode.bodies.hull.isAwake()) {
      terminated = true;
      reward = +100;
      outcome = 'at-rest';
    }
    const truncated = episode.steps >= this.maxEpisodeSteps;
    if (truncated && !terminated) outcome = 'time-limit';
    episode.done = terminated || truncated;
    return {
      observation: new Float32Array(s),
      reward,
      terminated,
      truncated,
      info: { steps: episode.steps, outcome },
    };
  }

  /** Terrain of the current episode (for rendering). */
  get terrain(): Terrain {
    return this.current('terrain').terrain;
  }

  /** The planck hull and legs of the current episode, read-only use (tests, inspection). */
  get bodies(): LanderBodies {
    return this.current('bodies').bodies;
  }

  /** Agent steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.episode?.steps ?? 0;
  }

  /** True once the current episode has terminated or been truncated. */
  get isDone(): boolean {
    return this.episode?.done ?? false;
  }

  /** Body origins and angles now; for rendering. */
  pose(): LanderPose {
    const { hull, legs } = this.current('pose').bodies;
    const p = (b: Body): BodyPose => {
      const pos = b.getPosition();
      return { x: pos.x, y: pos.y, angle: b.getAngle() };
    };
    return { hull: p(hull), legs: [p(legs[0]), p(legs[1])] };
  }

  private current(what: string): Episode {
    if (this.episode === null) {
      throw new PbtError(
        'ENV_NOT_RESET',
        `LunarLander.${what} is only available after reset(seed)`,
      );
    }
    return this.episode;
  }

  /**
   * Engines, physics step, observation (into this.state) and the shaped reward minus
   * fuel. Makes exactly 2 rng draws whatever the action.
   */
  private advance(episode: Episode, action: LunarLanderAction): number {
    const hull = episode.bodies.hull;
    const d0 = uniform(episode.rng, -1, 1) / SCALE;
    const d1 = uniform(episode.rng, -1, 1) / SCALE;
    const powers = fireEngines(hull, action, d0, d1, this.powers);
    episode.world.step(1 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const pos = hull.getPosition();
    const vel = hull.getLinearVelocity();
    const s = this.state;
    s[0] = (pos.x - HALF_W) / HALF_W;
    s[1] = (pos.y - (episode.terrain.helipadY + LEG_DOWN / SCALE)) / HALF_H;
    s[2] = (vel.x * HALF_W) / FPS;
    s[3] = (vel.y * HALF_H) / FPS;
    s[4] = hull.getAngle();
    s[5] = (20.0 * hull.getAngularVelocity()) / FPS;
    s[6] = episode.legContact[0] ? 1.0 : 0.0;
    s[7] = episode.legContact[1] ? 1.0 : 0.0;

    const s0 = s[0],
      s1 = s[1],
      s2 = s[2],
      s3 = s[3];
    const shaping =
      -100 * Math.sqrt(s0 * s0 + s1 * s1) -
      100 * Math.sqrt(s2 * s2 + s3 * s3) -
      100 * Math.abs(s[4]) +
      10 * s[6] +
      10 * s[7];
    let reward = episode.prevShaping === null ? 0 : shaping - episode.prevShaping;
    episode.prevShaping = shaping;
    reward -= powers.main * 0.3;
    reward -= powers.side * 0.03;
    return reward;
  }
}
