/** Gym's LunarLander-v2 (discrete) on planck.js: environment, heuristic, recording and SVG rendering. */
export * from './constants.js';
export {
  heuristicAction,
  heuristicTerms,
  type HeuristicTerms,
  type ObservationLike,
} from './heuristic.js';
export {
  isLunarLanderAction,
  LunarLander,
  type BodyPose,
  type LanderPose,
  type LunarLanderInfo,
  type LunarLanderObservation,
  type LunarLanderOptions,
  type LunarLanderOutcome,
  type LunarLanderStepResult,
} from './lunar-lander.js';
export { evaluatePolicy, type EvaluateOptions, type PolicyEvaluation } from './evaluate-policy.js';
export { recordEpisode, type EpisodeRecording, type LunarLanderPolicy } from './record-episode.js';
export { renderEpisodeSvg, type RenderSvgOptions } from './render-svg.js';
export type { Terrain } from './terrain.js';
export type { LanderBodies } from './lander-bodies.js';
