import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { setDropoutRate, setLearningRate, setOptimizerHparams, weightPenalty } from './hparams.js';

let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

/** One step on loss = sum(w) (gradient 1 everywhere); returns w after the step. */
function stepOnce(opt: tfType.Optimizer, w: tfType.Variable): number {
  opt.minimize(() => tf.sum<tfType.Scalar>(w), false, [w]);
  return w.dataSync()[0]!;
}

describe('hyperparameters changed in place', () => {
  it('SGD: the new learning rate applies at the next step', () => {
    const w = tf.variable(tf.scalar(1));
    const opt = tf.train.sgd(0.1);
    expect(stepOnce(opt, w)).toBeCloseTo(0.9, 6);
    setLearningRate(opt, 0.5);
    expect(stepOnce(opt, w)).toBeCloseTo(0.4, 6);
    opt.dispose();
    w.dispose();
  });

  it('Adam: learning rate changes without losing the moments', () => {
    const w = tf.variable(tf.scalar(0));
    const opt = tf.train.adam(0.1);
    stepOnce(opt, w);
    const before = w.dataSync()[0]!;
    setLearningRate(opt, 0.01);
    // With a constant gradient Adam's step is ~lr: 0.01 now, not 0.1.
    expect(before - stepOnce(opt, w)).toBeCloseTo(0.01, 4);
    setOptimizerHparams(opt, { beta1: 0.5 });
    expect(opt.getConfig()['beta1']).toBe(0.5);
    opt.dispose();
    w.dispose();
  });

  it('momentum: the update uses the new momentum (tfjs setMomentum alone does not)', () => {
    const w = tf.variable(tf.scalar(0));
    const opt = tf.train.momentum(1, 0.9);
    stepOnce(opt, w); // accumulation 1, w -1
    setOptimizerHparams(opt, { momentum: 0 });
    // accumulation = 0 * 1 + 1 = 1, w = -1 - 1 = -2 (with the stale 0.9 it would be -2.9)
    expect(stepOnce(opt, w)).toBeCloseTo(-2, 6);
    expect(tf.memory().numTensors).toBeGreaterThan(0);
    opt.dispose();
    w.dispose();
  });

  it('rejects a hyperparameter the optimizer does not have, and bad values', () => {
    const opt = tf.train.sgd(0.1);
    expect(() => setOptimizerHparams(opt, { momentum: 0.5 })).toThrow(
      /no hyperparameter 'momentum'/,
    );
    expect(() => setLearningRate(opt, -1)).toThrow(/positive/);
    opt.dispose();
  });

  it('dropout rate is read at each call', () => {
    const model = tf.sequential({ layers: [tf.layers.dropout({ inputShape: [1000], rate: 0 })] });
    const x = tf.ones([1, 1000]);
    const zeros = (): number => {
      const y = model.apply(x, { training: true }) as tfType.Tensor;
      const n = y.dataSync().filter((v) => v === 0).length;
      y.dispose();
      return n;
    };
    expect(zeros()).toBe(0);
    expect(setDropoutRate(model, 0.5)).toBe(1);
    const dropped = zeros();
    expect(dropped).toBeGreaterThan(350);
    expect(dropped).toBeLessThan(650);
    model.dispose();
    x.dispose();
  });

  it('weightPenalty sums l1 |w| and l2 w^2', () => {
    const a = tf.tensor([1, -2]);
    const b = tf.tensor([3]);
    const p = weightPenalty([a, b], { l1: 0.1, l2: 0.01 });
    expect(p.dataSync()[0]).toBeCloseTo(0.1 * 6 + 0.01 * 14, 6);
    tf.dispose([a, b, p]);
  });
});
