import * as tf from '@tensorflow/tfjs';

/** Smallest probability whose log the loss takes: caps one example's loss at ~85 (float32). */
const MIN_PROBABILITY = 1e-37;

/**
 * Mean softmax cross-entropy of `logits` [rows, classes] against integer `labels` [rows].
 *
 * Built on tf.softmax, which on wasm is XNNPACK's vectorised softmax, with its gradient
 * (softmax - onehot) / rows written directly: the composition logSoftmax + gather evaluates the
 * wasm Exp kernel (scalar std::exp, ~13 ns per element) twice over the whole [rows, classes]
 * tensor, which dominated a 5,000-word output layer. One example's loss is capped at
 * -log(1e-37) ~ 85 (its gradient is exact).
 */
export function sparseSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (logits.rank !== 2)
    throw new Error(`logits must be [rows, classes], got [${logits.shape.join(',')}]`);
  const [rows, classes] = logits.shape as [number, number];
  if (labels.size !== rows) throw new Error(`${labels.size} labels for ${rows} rows of logits`);
  const ids = labels.dtype === 'int32' ? labels.reshape([rows]) : labels.reshape([rows]).toInt();
  const loss = tf.customGrad<tf.Scalar>((...args) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const p = tf.softmax(x);
    const at = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(classes, 'int32')), ids);
    const picked = tf.gather(p.reshape([rows * classes]), at);
    const value = tf.neg<tf.Scalar>(tf.mean(tf.log(tf.maximum(picked, MIN_PROBABILITY))));
    // Saved for the backward pass: `ids` may be a temporary the caller's tidy frees before it.
    save([p, ids]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [probabilities, savedIds] = saved as [tf.Tensor, tf.Tensor1D];
        const scale = tf.div(dy, rows);
        return tf.mul(tf.sub(probabilities, tf.oneHot(savedIds, classes)), scale);
      },
    };
  });
  return loss(logits);
}
