/** The public library API of pbt. */
export type {
  Decision,
  Hparams,
  HparamValue,
  MemberId,
  MemberStatus,
  MemberView,
  Metrics,
  PopulationSnapshot,
} from './core/types.js';
export type { ParamSpec, SearchSpace } from './core/space-types.js';
export { createRng, hashSeed, type Rng } from './core/rng.js';
export {
  PbtError,
  ConfigError,
  LeaseLostError,
  NotFoundError,
  CheckpointCorruptError,
} from './core/errors.js';
export { validateSpace, validateHparams, sampleHparams, gridForPopulation } from './core/space.js';
export {
  scheduleOf,
  bestMember,
  memberTimeline,
  type Schedule,
  type ScheduleSegment,
} from './core/schedule.js';
export {
  buildLineageGraph,
  renderLineageTree,
  renderLineageTimeline,
} from './core/lineage-tree.js';

export * from './strategies/index.js';

export type { Task, TaskContext, TaskDefinition } from './tasks/task.js';
export { registerTask, resolveTaskDefinition, builtInTaskNames } from './tasks/registry.js';

export {
  parseExperimentConfig,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from './config/experiment-config.js';
export {
  prepareExperiment,
  prepareStoredExperiment,
  type PreparedExperiment,
} from './experiment/prepare-experiment.js';
export { createExperiment } from './experiment/create-experiment.js';

export type {
  Store,
  ExperimentRecord,
  MemberRecord,
  ResultRecord,
  LineageEvent,
  Lease,
} from './store/store.js';
export { openStore } from './store/open-store.js';
export { SqliteStore } from './store/sqlite/sqlite-store.js';
export { MemoryStore } from './store/memory/memory-store.js';

export type { CheckpointStore } from './checkpoints/checkpoint-store.js';
export { FilesystemCheckpointStore } from './checkpoints/filesystem-checkpoint-store.js';

export { runWorker, type WorkerOptions, type WorkerSummary } from './worker/worker.js';
export { launchWorkers } from './worker/launcher.js';

export { buildReportModel } from './report/report-model.js';
export { renderReportHtml } from './report/render-html.js';
export { resultsToCsv } from './export/results-csv.js';
