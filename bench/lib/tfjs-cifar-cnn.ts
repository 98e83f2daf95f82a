/**
 * bench/engine.ts's CNN (conv32-pool-conv64-pool-dense128) in TF.js on CIFAR-10 (32x32x3), with
 * the same training step as examples/pytorch-cifar10/train.py --model cnn: batch 128 sampled
 * from the training part, L1 on the kernels, Adam. pbt has no built-in CNN task, so the
 * benchmark's TF.js side of the CNN is this loop (the MLP's is the built-in task).
 */
import * as tf from '@tensorflow/tfjs';
import { loadImageSplits } from '../../src/workloads/image-classification/image-data.js';
import { inputBatch, labelBatch } from '../../src/workloads/image-classification/image-data.js';
import { ensureBackend } from '../../src/workloads/tfjs/ensure-backend.js';
import {
  BatchSampler,
  trainStep,
  trainableVariables,
} from '../../src/workloads/tfjs/train-loop.js';

const BATCH = 128;

export interface TfjsCnn {
  readonly backend: string;
  train(steps: number): void;
  dispose(): void;
}

export async function createTfjsCifarCnn(h: {
  l1: number;
  lr: number;
  width: number;
}): Promise<TfjsCnn> {
  const backend = await ensureBackend(undefined, { log: (m) => console.error(`  | ${m}`) });
  const data = await loadImageSplits({
    dataset: 'cifar10',
    validation: 5000,
    testExamples: 2000,
    splitSeed: 0,
  });
  const { train, normalise } = data;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: h.width, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const optimizer = tf.train.adam(h.lr);
  const vars = trainableVariables(model);
  const kernels = vars.filter((v) => v.shape.length > 1);
  const sampler = new BatchSampler(train.count, 0);
  return {
    backend,
    train(steps: number): void {
      for (let s = 0; s < steps; s++) {
        const idx = sampler.next(BATCH);
        const x = tf.tensor4d(inputBatch(train, normalise, idx), [idx.length, 32, 32, 3]);
        const y = tf.oneHot(tf.tensor1d(labelBatch(train, idx), 'int32'), 10);
        try {
          trainStep(
            optimizer,
            () => {
              const logits = model.apply(x, { training: true }) as tf.Tensor;
              const ce = tf.losses.softmaxCrossEntropy(y, logits);
              return tf.addN([
                ce,
                ...kernels.map((k) => tf.mul(h.l1, tf.sum(tf.abs(k)))),
              ]) as tf.Scalar;
            },
            vars,
          );
        } finally {
          tf.dispose([x, y]);
        }
      }
    },
    dispose(): void {
      model.dispose();
      optimizer.dispose();
    },
  };
}
