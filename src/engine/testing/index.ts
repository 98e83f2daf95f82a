/**
 * `pbt/testing`: the conformance suites a third-party Store or CheckpointStore must pass. They
 * register Vitest tests, so vitest is an (optional) peer dependency of pbt.
 */
export { describeStoreConformance, type StoreFactory } from './store-conformance.js';
export {
  describeCheckpointStoreConformance,
  type CheckpointStoreHarness,
} from './checkpoint-store-conformance.js';
