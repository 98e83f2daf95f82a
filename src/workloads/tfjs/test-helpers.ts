import * as tf from '@tensorflow/tfjs';
import type * as tfType from '@tensorflow/tfjs';
import { createRng } from '../../engine/core/rng.js';
import type { Hparams, Metrics } from '../../engine/core/types.js';
import { evaluateCheckpoint, evaluationContext } from '../../engine/tasks/evaluate-checkpoint.js';
import type { Task } from '../../engine/tasks/task.js';

/** Test-only helpers shared by the src/tfjs tests (tiny deterministic data, error measures). */

/** Deterministic normal values, so both backends see the same numbers. */
export function seededNormal(n: number, ...seed: (string | number)[]): Float32Array {
  const rng = createRng(...seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** max |a - b| / max |b|: error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? maxDiff : maxDiff / scale;
}

/** Sets every weight (kernels, biases, batchnorm statistics) from a seeded stream. */
export function seedWeights(tf: typeof tfType, model: tfType.LayersModel, seed: string): void {
  const names = model.weights.map((w) => w.name);
  const values = model.getWeights().map((w, i) => {
    const data = seededNormal(w.size, seed, i);
    // Positive variances keep batch normalization well-defined.
    if (names[i]!.includes('moving_variance'))
      for (let k = 0; k < data.length; k++) data[k] = 1 + Math.abs(data[k]!);
    else for (let k = 0; k < data.length; k++) data[k] = data[k]! * 0.5;
    return tf.tensor(data, w.shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/**
 * Save a member, dispose it, and score the saved bytes on `split` through evaluateCheckpoint;
 * `leaked` counts tensors the evaluation left behind (0 when it frees what it builds).
 */
export async function evaluateSaved<S>(
  task: Task<S>,
  state: S,
  h: Hparams,
  split: string,
): Promise<{ metrics: Metrics; bytes: Uint8Array; leaked: number }> {
  const bytes = await task.save(state);
  await task.dispose?.(state);
  const before = tf.memory().numTensors;
  const metrics = await evaluateCheckpoint(
    task,
    bytes,
    h,
    split,
    evaluationContext(0, () => undefined),
  );
  return { metrics, bytes, leaked: tf.memory().numTensors - before };
}
