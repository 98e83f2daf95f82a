import { Edge, type World } from 'planck';
import type { Rng } from '../../../engine/core/rng.js';
import { uniform } from './uniform.js';
import { CHUNKS, H, SMOOTHING_FACTOR, TERRAIN_FRICTION, W } from './constants.js';

/** The moon surface of one episode, in metres. */
export interface Terrain {
  /** CHUNKS x positions, 0..W in steps of W/(CHUNKS-1). */
  readonly chunkX: readonly number[];
  /** Smoothed heights at chunkX; the ground polyline. */
  readonly smoothY: readonly number[];
  readonly helipadX1: number;
  readonly helipadX2: number;
  /** Nominal pad height H/4 (the smoothed surface is 1% lower). */
  readonly helipadY: number;
}

/** Draws the terrain: exactly CHUNKS + 1 = 12 uniform draws, as in the reference. */
export function generateTerrain(rng: Rng): Terrain {
  const height: number[] = [];
  for (let i = 0; i < CHUNKS + 1; i++) height.push(uniform(rng, 0, H / 2));
  const chunkX: number[] = [];
  for (let i = 0; i < CHUNKS; i++) chunkX.push((W / (CHUNKS - 1)) * i);
  const half = Math.floor(CHUNKS / 2);
  const helipadX1 = chunkX[half - 1] ?? 0;
  const helipadX2 = chunkX[half + 1] ?? 0;
  const helipadY = H / 4;
  for (let i = half - 2; i <= half + 2; i++) height[i] = helipadY;
  const at = (i: number): number => height[i] ?? 0;
  const smoothY: number[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    // Python's height[-1] is the LAST element (index CHUNKS), not 0: wrap explicitly.
    const prev = i === 0 ? at(height.length - 1) : at(i - 1);
    smoothY.push(SMOOTHING_FACTOR * (prev + at(i) + at(i + 1)));
  }
  return { chunkX, smoothY, helipadX1, helipadX2, helipadY };
}

/** Creates the static "moon" body: a base edge along y = 0 and the CHUNKS-1 surface edges. */
export function createMoon(world: World, terrain: Terrain): void {
  const moon = world.createBody({ type: 'static' });
  // Default fixture properties for the base edge (friction 0.2), as in the reference.
  moon.createFixture(new Edge({ x: 0, y: 0 }, { x: W, y: 0 }), { density: 0 });
  for (let i = 0; i < CHUNKS - 1; i++) {
    const p1 = { x: terrain.chunkX[i] ?? 0, y: terrain.smoothY[i] ?? 0 };
    const p2 = { x: terrain.chunkX[i + 1] ?? 0, y: terrain.smoothY[i + 1] ?? 0 };
    moon.createFixture(new Edge(p1, p2), { density: 0, friction: TERRAIN_FRICTION });
  }
}
