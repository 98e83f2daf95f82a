import { z } from 'zod';
import { parseTaskOptions } from '../../engine/tasks/task-options.js';

const BACKENDS = ['node', 'wasm', 'cpu'] as const;

/** Task options (`taskOptions` in a config, `--set key=value` or `--dataset` on the CLI). */
export const imageClassificationOptionsSchema = z.strictObject({
  dataset: z.enum(['fashion-mnist', 'cifar10']).default('fashion-mnist'),
  /** A folder or archive holding the data set (default: the standard places, see docs/data.md). */
  dataPath: z.string().min(1).optional(),
  /** TensorFlow.js backend; default: the fastest available (tfjs-node, wasm, cpu). */
  backend: z.enum(BACKENDS).optional(),
  batchSize: z.number().int().positive().max(4096).default(128),
  /** Training images held out for the score (validation accuracy). */
  validation: z.number().int().positive().default(5000),
  /** Score on only the first N held-out images (a fixed subset) to save time; 0 = all. */
  evalExamples: z.number().int().nonnegative().default(0),
  /** Test images (a fixed seeded subset) evaluated at every ready point; 0 = none. */
  testExamples: z.number().int().nonnegative().default(2000),
  /** Hidden layers, all of the tuned width. */
  hiddenLayers: z.number().int().positive().max(8).default(2),
  /** Seed of the validation split and of the test subset (the same for every member). */
  splitSeed: z.number().int().nonnegative().default(0),
  /** Examples per forward pass during evaluation. */
  evalBatchSize: z.number().int().positive().default(1000),
});

export type ImageClassificationOptions = z.output<typeof imageClassificationOptionsSchema>;
export type ImageDatasetName = ImageClassificationOptions['dataset'];

export function parseImageClassificationOptions(raw: unknown): ImageClassificationOptions {
  return parseTaskOptions(imageClassificationOptionsSchema, raw, 'image-classification');
}
