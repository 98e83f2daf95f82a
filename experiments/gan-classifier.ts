/**
 * Train (or load) the cached CIFAR-10 score classifier of the GAN task and print its test
 * accuracy. Usage: node --import tsx experiments/gan-classifier.ts [steps] [backend]
 */
import { loadCifar10 } from '../src/workloads/datasets/index.js';
import { ensureScoreClassifier } from '../src/workloads/gan/ensure-classifier.js';
import { initBackend, type BackendPreference } from '../src/workloads/tfjs/backend.js';

const steps = Number(process.argv[2] ?? 3000);
const backend = process.argv[3] as BackendPreference | undefined;
const info = await initBackend(backend);
console.log(`backend ${info.name}`);
const started = performance.now();
const c = await ensureScoreClassifier(() => loadCifar10(), { steps, log: (m) => console.log(m) });
console.log(
  `done in ${((performance.now() - started) / 1000).toFixed(0)} s; test accuracy ${(c.testAccuracy * 100).toFixed(2)} %`,
);
