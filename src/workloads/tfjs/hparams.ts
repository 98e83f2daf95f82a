import * as tf from '@tensorflow/tfjs';
import type * as tfType from '@tensorflow/tfjs';
import { PbtError } from '../../engine/core/errors.js';
import { optimizerKind } from './checkpoint.js';

/**
 * Changing hyperparameters in place, so PBT's explore step needs no model rebuild and keeps the
 * optimizer state. tfjs optimizers read these fields at every step (tfjs-core 4.22, pinned).
 */

export interface OptimizerHparams {
  readonly learningRate?: number;
  /** Adam. */
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Momentum. */
  readonly momentum?: number;
}

export function setLearningRate(optimizer: tfType.Optimizer, learningRate: number): void {
  setOptimizerHparams(optimizer, { learningRate });
}

export function setOptimizerHparams(optimizer: tfType.Optimizer, h: OptimizerHparams): void {
  const kind = optimizerKind(optimizer);
  const fields = optimizer as unknown as Record<string, unknown>;
  if (h.learningRate !== undefined) {
    checkPositive('learningRate', h.learningRate);
    const sgd = optimizer as unknown as { setLearningRate?: (lr: number) => void };
    // SGD and momentum cache -lr as a scalar tensor: setLearningRate refreshes it.
    if (typeof sgd.setLearningRate === 'function') sgd.setLearningRate(h.learningRate);
    else if (typeof fields['learningRate'] === 'number') fields['learningRate'] = h.learningRate;
    else throw unsupported(kind, 'learningRate');
  }
  for (const key of ['beta1', 'beta2', 'epsilon'] as const) {
    const value = h[key];
    if (value === undefined) continue;
    if (kind !== 'Adam' && kind !== 'Adamax') throw unsupported(kind, key);
    fields[key] = value;
  }
  if (h.momentum !== undefined) {
    if (kind !== 'Momentum') throw unsupported(kind, 'momentum');
    // tfjs's setMomentum leaves the cached scalar `m` (what the update uses) stale: replace both.
    const m = optimizer as unknown as { momentum: number; m: tfType.Tensor };
    const old = m.m;
    m.momentum = h.momentum;
    m.m = tf.keep(tf.scalar(h.momentum));
    old.dispose();
  }
}

/** Sets the rate of every Dropout layer of a model; tfjs reads it at each call. */
export function setDropoutRate(model: tfType.LayersModel, rate: number): number {
  if (!(rate >= 0 && rate < 1))
    throw new PbtError('HPARAM', `dropout rate must be in [0, 1), got ${rate}`);
  let count = 0;
  const visit = (layers: readonly tfType.layers.Layer[]): void => {
    for (const layer of layers) {
      if (layer.getClassName() === 'Dropout' || layer.getClassName().startsWith('SpatialDropout')) {
        (layer as unknown as { rate: number }).rate = rate;
        count++;
      }
      const inner = (layer as unknown as { layers?: tfType.layers.Layer[] }).layers;
      if (Array.isArray(inner)) visit(inner);
    }
  };
  visit(model.layers);
  return count;
}

/**
 * l1 * sum|w| + l2 * sum w^2 over `weights`, as a scalar to add to a custom loop's loss; the
 * strengths are plain numbers read when the loss closure runs, so they can change any step.
 */
export function weightPenalty(
  weights: readonly tfType.Tensor[],
  strengths: { readonly l1?: number; readonly l2?: number },
): tfType.Scalar {
  return tf.tidy(() => {
    let total: tfType.Scalar = tf.scalar(0);
    for (const w of weights) {
      if (strengths.l1 !== undefined && strengths.l1 !== 0)
        total = tf.add(total, tf.mul(strengths.l1, tf.sum(tf.abs(w))));
      if (strengths.l2 !== undefined && strengths.l2 !== 0)
        total = tf.add(total, tf.mul(strengths.l2, tf.sum(tf.square(w))));
    }
    return total;
  });
}

function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0))
    throw new PbtError('HPARAM', `${name} must be a positive number, got ${value}`);
}

function unsupported(kind: string, field: string): PbtError {
  return new PbtError(
    'HPARAM',
    `optimizer ${kind} has no hyperparameter '${field}' that can be changed in place`,
  );
}
