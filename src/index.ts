/** The public library API of pbt. */
export type {
  Decision,
  Hparams,
  HparamValue,
  MemberId,
  MemberStatus,
  MemberView,
  MemberHistory,
  Metrics,
  PopulationHistory,
  PopulationSnapshot,
  ScorePoint,
} from './engine/core/types.js';
export type { ParamSpec, SearchSpace } from './engine/core/space-types.js';
export { createRng, hashSeed, type Rng } from './engine/core/rng.js';
export {
  PbtError,
  ConfigError,
  LeaseLostError,
  NotFoundError,
  CheckpointCorruptError,
} from './engine/core/errors.js';
export {
  validateSpace,
  validateHparams,
  sampleHparams,
  gridForPopulation,
} from './engine/core/space.js';
export {
  scheduleOf,
  bestMember,
  memberTimeline,
  type Schedule,
  type ScheduleSegment,
} from './engine/core/schedule.js';
export {
  buildLineageGraph,
  renderLineageTree,
  renderLineageTimeline,
} from './engine/core/lineage-tree.js';

export * from './engine/strategies/index.js';

export type { EvaluationContext, Task, TaskContext, TaskDefinition } from './engine/tasks/task.js';
export { evaluateCheckpoint, evaluationContext } from './engine/tasks/evaluate-checkpoint.js';
export {
  TaskRegistry,
  isTaskModulePath,
  type TaskCatalog,
  type TaskLoader,
} from './engine/tasks/registry.js';
export { builtInTasks, builtInTaskRegistry } from './workloads/index.js';
export { TrainableTask, type TrainableTaskOptions } from './engine/trainable/trainable-task.js';
export { TrainableError } from './engine/trainable/trainable-process.js';
export { trainableDefinition } from './engine/trainable/trainable-definition.js';
export type { TrainableConfig } from './engine/config/trainable-config.js';

export {
  parseExperimentConfig,
  type ExperimentConfig,
  type ExperimentConfigInput,
} from './engine/config/experiment-config.js';
export { readExperiment, readExperiments, type Experiment } from './engine/store/experiments.js';
export {
  prepareExperiment,
  prepareStoredExperiment,
  type PreparedExperiment,
} from './engine/setup/prepare-experiment.js';
export { createExperiment } from './engine/setup/create-experiment.js';

export type {
  Store,
  ExperimentRecord,
  MemberRecord,
  ResultRecord,
  LineageEvent,
  Lease,
} from './engine/store/store.js';
export { openStore } from './engine/store/open-store.js';
export { SqliteStore } from './engine/store/sqlite/sqlite-store.js';
export { MemoryStore } from './engine/store/memory/memory-store.js';

export type { CheckpointStore } from './engine/checkpoints/checkpoint-store.js';
export { FilesystemCheckpointStore } from './engine/checkpoints/filesystem-checkpoint-store.js';

export { runWorker, type WorkerOptions, type WorkerSummary } from './engine/worker/worker.js';
export { launchWorkers } from './engine/worker/launcher.js';
export type { WorkerSpec } from './engine/worker/worker-spec.js';

export { buildReportModel } from './engine/report/report-model.js';
export { renderReportPage } from './engine/dashboard/report-page.js';
export { startDashboard, type DashboardOptions } from './engine/dashboard/server.js';
export { resultsToCsv } from './engine/export/results-csv.js';
