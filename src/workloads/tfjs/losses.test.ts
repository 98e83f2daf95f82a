import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { sparseSoftmaxCrossEntropy } from './losses.js';
import { relativeError, seededNormal } from './test-helpers.js';

let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

/** The textbook composition: -mean(logSoftmax(logits)[row, label]). */
function reference(logits: tfType.Tensor, labels: tfType.Tensor): tfType.Scalar {
  return tf.neg<tfType.Scalar>(
    tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1]!)), 1)),
  );
}

describe('sparseSoftmaxCrossEntropy', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`matches logSoftmax + one-hot in value and gradient (${backend})`, async () => {
      await tf.setBackend(backend);
      const rows = 6;
      const classes = 11;
      const logits = tf.tensor2d(
        Float32Array.from(seededNormal(rows * classes, 'logits'), (v) => v * 3),
        [rows, classes],
      );
      const labels = tf.tensor1d([0, 10, 3, 3, 7, 1], 'int32');
      const ours = tf.valueAndGrad((x: tfType.Tensor) => sparseSoftmaxCrossEntropy(x, labels))(
        logits,
      );
      const ref = tf.valueAndGrad((x: tfType.Tensor) => reference(x, labels))(logits);
      expect(Math.abs(ours.value.dataSync()[0]! - ref.value.dataSync()[0]!)).toBeLessThan(1e-5);
      expect(relativeError(ours.grad.dataSync(), ref.grad.dataSync())).toBeLessThan(1e-5);
      tf.dispose([logits, labels, ours.value, ours.grad, ref.value, ref.grad]);
      await tf.setBackend('wasm');
    });
  }

  it('trains inside optimizer.minimize without leaking tensors', () => {
    const w = tf.variable(tf.zeros([4, 5]));
    const x = tf.tensor2d(seededNormal(8 * 4, 'x'), [8, 4]);
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32');
    const opt = tf.train.sgd(0.5);
    const step = (): number => {
      const cost = opt.minimize(() => sparseSoftmaxCrossEntropy(tf.matMul(x, w), labels), true, [
        w,
      ])!;
      const v = cost.dataSync()[0]!;
      cost.dispose();
      return v;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 50; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(first).toBeCloseTo(Math.log(5), 5);
    expect(last).toBeLessThan(first);
    tf.dispose([w, x, labels]);
    opt.dispose();
  });

  it('works when the labels are a temporary made inside the loss function', () => {
    const w = tf.variable(tf.zeros([4, 5]));
    const x = tf.tensor2d(seededNormal(8 * 4, 'x'), [8, 4]);
    const opt = tf.train.sgd(0.5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const cost = opt.minimize(
        () =>
          sparseSoftmaxCrossEntropy(
            tf.matMul(x, w),
            tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'),
          ),
        true,
        [w],
      )!;
      cost.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
    opt.dispose();
  });

  it('rejects mismatched shapes', () => {
    const logits = tf.zeros([3, 4]);
    expect(() => sparseSoftmaxCrossEntropy(logits, tf.tensor1d([0, 1], 'int32'))).toThrow(
      /2 labels for 3 rows/,
    );
    expect(() =>
      sparseSoftmaxCrossEntropy(tf.zeros([2, 3, 4]), tf.tensor1d([0, 1], 'int32')),
    ).toThrow(/rows, classes/);
    logits.dispose();
  });
});
