import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { relativeError, seededNormal, seedWeights } from './test-helpers.js';

// Gradients of a small loss w.r.t. inputs and weights on wasm (with our kernels) must match the
// cpu backend: this guards the kernels and the internal wasm APIs they rely on.
let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

interface Case {
  name: string;
  layers: () => tfType.layers.Layer[];
  inputShape: number[];
  /** Integer inputs (token ids) in [0, vocab): no gradient w.r.t. the input. */
  vocab?: number;
}

const CASES: Case[] = [
  {
    name: 'dense + leakyReLU',
    inputShape: [4, 6],
    layers: () => [
      tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu' }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 3 }),
    ],
  },
  {
    name: 'conv2d stride 1 same',
    inputShape: [2, 6, 6, 3],
    layers: () => [
      tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 4, kernelSize: 3, padding: 'same' }),
    ],
  },
  {
    name: 'conv2d stride 1 valid',
    inputShape: [2, 6, 5, 3],
    layers: () => [
      tf.layers.conv2d({ inputShape: [6, 5, 3], filters: 4, kernelSize: [3, 2], padding: 'valid' }),
    ],
  },
  {
    name: 'conv2d stride 2 same (odd input)',
    inputShape: [2, 7, 7, 3],
    layers: () => [
      tf.layers.conv2d({
        inputShape: [7, 7, 3],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
      }),
    ],
  },
  {
    name: 'conv2d stride 2 valid',
    inputShape: [2, 8, 7, 2],
    layers: () => [
      tf.layers.conv2d({
        inputShape: [8, 7, 2],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
      }),
    ],
  },
  {
    name: 'conv2dTranspose stride 2 same (DCGAN generator)',
    inputShape: [2, 4, 4, 3],
    layers: () => [
      tf.layers.conv2dTranspose({
        inputShape: [4, 4, 3],
        filters: 4,
        kernelSize: 5,
        strides: 2,
        padding: 'same',
      }),
    ],
  },
  {
    name: 'conv2dTranspose stride 2 valid',
    inputShape: [2, 3, 3, 2],
    layers: () => [
      tf.layers.conv2dTranspose({
        inputShape: [3, 3, 2],
        filters: 5,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
      }),
    ],
  },
  {
    name: 'conv2dTranspose to 1 channel (stock kernel path)',
    inputShape: [2, 4, 4, 3],
    layers: () => [
      tf.layers.conv2dTranspose({
        inputShape: [4, 4, 3],
        filters: 1,
        kernelSize: 5,
        strides: 2,
        padding: 'same',
      }),
    ],
  },
  {
    name: 'maxPooling2d (valid, odd input) after conv',
    inputShape: [2, 5, 5, 2],
    layers: () => [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 1 }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
    ],
  },
  {
    name: 'maxPooling2d same, stride 1',
    inputShape: [2, 4, 5, 3],
    layers: () => [
      tf.layers.maxPooling2d({ inputShape: [4, 5, 3], poolSize: 3, strides: 1, padding: 'same' }),
    ],
  },
  {
    name: 'GRU',
    inputShape: [2, 5, 3],
    layers: () => [tf.layers.gru({ inputShape: [5, 3], units: 4, returnSequences: true })],
  },
  {
    name: 'embedding + GRU',
    inputShape: [3, 5],
    vocab: 7,
    layers: () => [
      tf.layers.embedding({ inputDim: 7, outputDim: 3, inputLength: 5 }),
      tf.layers.gru({ units: 4 }),
    ],
  },
  {
    name: 'batchNormalization (training)',
    inputShape: [6, 3, 3, 2],
    layers: () => [tf.layers.batchNormalization({ inputShape: [3, 3, 2] })],
  },
];

interface Grads {
  loss: number;
  grads: Float32Array[];
}

async function gradsOn(backend: string, c: Case): Promise<Grads> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const model = tf.sequential({ layers: c.layers() });
    seedWeights(tf, model, c.name);
    const size = c.inputShape.reduce((a, b) => a * b, 1);
    let input: tfType.Tensor;
    const vars: tfType.Variable[] = [];
    if (c.vocab !== undefined) {
      const ids = Int32Array.from(
        seededNormal(size, c.name, 'x'),
        (v) => Math.abs(Math.round(v * 3)) % c.vocab!,
      );
      input = tf.tensor(ids, c.inputShape, 'int32');
    } else {
      const x = tf.variable(tf.tensor(seededNormal(size, c.name, 'x'), c.inputShape));
      vars.push(x);
      input = x;
    }
    for (const w of model.trainableWeights) vars.push(w.read() as tfType.Variable);
    const outShape = model.outputs[0]!.shape.map((d) => d ?? c.inputShape[0]!);
    const outSize = outShape.reduce((a, b) => a * b, 1);
    const r = tf.tensor(seededNormal(outSize, c.name, 'r'), outShape);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum<tfType.Scalar>(tf.mul(model.apply(input, { training: true }) as tfType.Tensor, r)),
      vars,
    );
    const result = {
      loss: value.dataSync()[0]!,
      grads: vars.map((v) => Float32Array.from(grads[v.name]!.dataSync())),
    };
    model.dispose();
    return result;
  });
}

describe('wasm gradients match the cpu backend', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const wasm = await gradsOn('wasm', c);
      const cpu = await gradsOn('cpu', c);
      await tf.setBackend('wasm');
      expect(Math.abs(wasm.loss - cpu.loss) / Math.max(1, Math.abs(cpu.loss))).toBeLessThan(1e-5);
      expect(wasm.grads.length).toBe(cpu.grads.length);
      for (let i = 0; i < cpu.grads.length; i++) {
        const err = relativeError(wasm.grads[i]!, cpu.grads[i]!);
        expect(err, `gradient ${i} of ${c.name}`).toBeLessThan(2e-5);
        // A zero gradient everywhere would also "match": make sure the check has teeth.
        expect(Math.max(...Array.from(cpu.grads[i]!, Math.abs))).toBeGreaterThan(1e-4);
      }
    });
  }
});
