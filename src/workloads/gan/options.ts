import { z } from 'zod';
import { parseTaskOptions } from '../../engine/tasks/task-options.js';

const BACKENDS = ['node', 'wasm', 'cpu'] as const;

/** Task options (`taskOptions` in a config, `--set key=value` on the CLI). */
export const ganOptionsSchema = z.strictObject({
  /** A folder or archive holding CIFAR-10 (default: the standard places, see docs/data.md). */
  dataPath: z.string().min(1).optional(),
  /** TensorFlow.js backend; default: the fastest available (tfjs-node, wasm, cpu). */
  backend: z.enum(BACKENDS).optional(),
  /** Images per batch (the report: 64). */
  batchSize: z.number().int().positive().max(1024).default(64),
  /** Length of the generator's noise vector (DCGAN: 100). */
  noiseDim: z.number().int().positive().max(1024).default(64),
  /**
   * Generator filters of the last hidden layer; the layers have 4g, 2g, g (DCGAN: g = 64+).
   * 16 so a population fits 2 CPU cores on wasm (docs/gan.md has the measured cost per width).
   */
  genFilters: z.number().int().positive().max(512).default(16),
  /** Discriminator filters of the first conv; then 2d, 4d (DCGAN: d = 64); 16 as above. */
  discFilters: z.number().int().positive().max(512).default(16),
  /** Generated images scored at each ready point (same noise for every member). */
  scoreSamples: z.number().int().min(64).default(500),
  /** Real CIFAR-10 test images for the Fréchet distance (a fixed subset; 0 = skip it). */
  frechetRealExamples: z.number().int().nonnegative().default(500),
  /** Cache file of the score classifier (default: $XDG_CACHE_HOME/pbt/models/...). */
  classifierPath: z.string().min(1).optional(),
  /** Training steps (batch 64) of the score classifier when its cache file is missing. */
  classifierSteps: z.number().int().positive().default(1000),
  /**
   * A local TF.js layers model (path to its model.json) to score with instead of our classifier,
   * e.g. a converted Keras Inception-v3: then the score is the Inception Score.
   */
  scoreModel: z.string().min(1).optional(),
  /** Its input height = width when model.json leaves it open (default 299). */
  scoreModelInputSize: z.number().int().positive().max(1024).optional(),
  /** Pixel range it expects: [-1, 1] (Keras Inception-v3), [0, 1] or [0, 255]. */
  scoreModelRange: z.enum(['symmetric', 'unit', 'byte']).default('symmetric'),
  /** Its layer whose output is the Fréchet feature (default: the layer before the output). */
  scoreModelFeatureLayer: z.string().min(1).optional(),
});

export type GanOptions = z.output<typeof ganOptionsSchema>;

export function parseGanOptions(raw: unknown): GanOptions {
  return parseTaskOptions(ganOptionsSchema, raw, 'gan');
}
