import { describe, expect, it } from 'vitest';
import { heuristicAction, heuristicTerms } from './heuristic.js';

const obs = (o: Partial<Record<number, number>>): number[] =>
  Array.from({ length: 8 }, (_, i) => o[i] ?? 0);

describe('heuristicAction', () => {
  it('fires the main engine when falling fast', () => {
    expect(heuristicAction(obs({ 1: 0.2, 3: -1.0 }))).toBe(2);
  });

  it('corrects the angle: tilted counter-clockwise -> right engine, clockwise -> left engine', () => {
    // Above the target height, so the hover term is negative and the angle term decides.
    expect(heuristicAction(obs({ 1: 0.5, 4: 0.3 }))).toBe(3);
    expect(heuristicAction(obs({ 1: 0.5, 4: -0.3 }))).toBe(1);
    expect(heuristicAction(obs({ 1: 0.5 }))).toBe(0);
  });

  it('clamps the target angle to 0.4 rad', () => {
    expect(heuristicTerms(obs({ 0: 5 })).angle).toBeCloseTo(0.4 * 0.5, 12);
  });

  it('only brakes the fall once a leg touches', () => {
    const t = heuristicTerms(obs({ 1: -0.5, 3: -0.2, 4: 0.3, 6: 1 }));
    expect(t.angle).toBe(0);
    expect(t.hover).toBeCloseTo(0.1, 12);
    expect(heuristicAction(obs({ 1: -0.5, 3: -0.2, 4: 0.3, 6: 1 }))).toBe(2);
    expect(heuristicAction(obs({ 1: -0.5, 3: -0.05, 4: 0.3, 7: 1 }))).toBe(0);
  });
});
