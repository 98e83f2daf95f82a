import { World } from 'planck';
import { describe, expect, it } from 'vitest';
import type { Rng } from '../../../engine/core/rng.js';
import { H } from './constants.js';
import { createLander } from './lander-bodies.js';
import { generateTerrain } from './terrain.js';

/** An rng that returns scripted values in order and counts draws. */
function scriptedRng(values: readonly number[]): Rng & { draws: number } {
  const rng = {
    draws: 0,
    next: (): number => {
      const v = values[rng.draws % values.length] ?? 0;
      rng.draws++;
      return v;
    },
    int: (n: number): number => Math.floor(rng.next() * n),
    normal: (): number => 0,
  };
  return rng;
}

describe('generateTerrain', () => {
  const u = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.05, 0.95, 0.55];
  const h = u.map((v) => (v * H) / 2);

  it('makes exactly 12 draws and places the helipad between chunks 4 and 6', () => {
    const rng = scriptedRng(u);
    const t = generateTerrain(rng);
    expect(rng.draws).toBe(12);
    expect(t.chunkX).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(t.helipadX1).toBe(8);
    expect(t.helipadX2).toBe(12);
    expect(t.helipadY).toBeCloseTo(H / 4, 12);
  });

  it('smooths with 0.33 and wraps h[-1] to the last of the 12 heights', () => {
    const t = generateTerrain(scriptedRng(u));
    const pad = H / 4;
    const hh = [...h];
    for (let i = 3; i <= 7; i++) hh[i] = pad;
    const at = (i: number): number => hh[i] ?? NaN;
    expect(t.smoothY[0]).toBeCloseTo(0.33 * (at(11) + at(0) + at(1)), 12);
    expect(t.smoothY[1]).toBeCloseTo(0.33 * (at(0) + at(1) + at(2)), 12);
    expect(t.smoothY[10]).toBeCloseTo(0.33 * (at(9) + at(10) + at(11)), 12);
    // The flat pad surface lies at 0.99 * H/4 = 3.3 m, slightly below helipadY.
    for (const i of [4, 5, 6]) expect(t.smoothY[i]).toBeCloseTo(3.3, 12);
  });
});

describe('createLander', () => {
  it('draws exactly the 2 initial-force components', () => {
    const rng = scriptedRng([0.25, 0.75]);
    const world = new World({ gravity: { x: 0, y: -10 } });
    const { hull, legs } = createLander(world, rng);
    expect(rng.draws).toBe(2);
    expect(hull.getPosition().x).toBeCloseTo(10, 12);
    expect(hull.getPosition().y).toBeCloseTo(H, 12);
    expect(legs[0].getAngle()).toBeCloseTo(-0.05, 12);
    expect(legs[1].getAngle()).toBeCloseTo(0.05, 12);
    expect(legs[0].getPosition().x).toBeCloseTo(10 + 20 / 30, 12);
  });
});
