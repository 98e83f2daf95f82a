import type { LunarLanderAction } from './constants.js';

/** Anything indexable holding the 8 observation entries (Float32Array, number[], ...). */
export type ObservationLike = ArrayLike<number>;

/** The angle and hover error terms the heuristic acts on (section 7 of the facts). */
export interface HeuristicTerms {
  readonly angle: number;
  readonly hover: number;
}

/** Computes the built-in heuristic's two control terms from an observation. */
export function heuristicTerms(s: ObservationLike): HeuristicTerms {
  const x = s[0] ?? 0;
  const y = s[1] ?? 0;
  const vx = s[2] ?? 0;
  const vy = s[3] ?? 0;
  const angle = s[4] ?? 0;
  const angularVelocity = s[5] ?? 0;
  const legContact = (s[6] ?? 0) !== 0 || (s[7] ?? 0) !== 0;
  // Tilt toward the centre and against horizontal drift, at most 0.4 rad.
  let angleTarget = x * 0.5 + vx * 1.0;
  if (angleTarget > 0.4) angleTarget = 0.4;
  if (angleTarget < -0.4) angleTarget = -0.4;
  // Hover higher when farther from the pad.
  const hoverTarget = 0.55 * Math.abs(x);
  let angleTodo = (angleTarget - angle) * 0.5 - angularVelocity * 1.0;
  let hoverTodo = (hoverTarget - y) * 0.5 - vy * 0.5;
  if (legContact) {
    // Once down, only brake the fall.
    angleTodo = 0;
    hoverTodo = -vy * 0.5;
  }
  return { angle: angleTodo, hover: hoverTodo };
}

/** Gym's built-in LunarLander heuristic, discrete version. */
export function heuristicAction(s: ObservationLike): LunarLanderAction {
  const { angle, hover } = heuristicTerms(s);
  if (hover > Math.abs(angle) && hover > 0.05) return 2;
  if (angle < -0.05) return 3;
  if (angle > 0.05) return 1;
  return 0;
}
