import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { seededNormal } from './test-helpers.js';
import {
  BatchSampler,
  exampleCount,
  gatherBatch,
  trainSteps,
  trainableVariables,
  type ExampleArray,
} from './train-loop.js';

let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

describe('BatchSampler', () => {
  it('visits every example once per epoch, in a seeded order', () => {
    const a = new BatchSampler(10, 'seed');
    const epoch = Array.from(a.next(10)).sort((x, y) => x - y);
    expect(epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.epoch).toBe(0);
    a.next(1);
    expect(a.epoch).toBe(1);
    expect(Array.from(new BatchSampler(10, 'seed').next(10))).toEqual(
      Array.from(new BatchSampler(10, 'seed').next(10)),
    );
    expect(Array.from(new BatchSampler(10, 'seed').next(10))).not.toEqual(
      Array.from(new BatchSampler(10, 'other').next(10)),
    );
  });

  it('continues identically from a saved state', () => {
    const a = new BatchSampler(7, 3);
    a.next(5);
    const b = new BatchSampler(7, 3, a.state());
    expect(Array.from(b.next(12))).toEqual(Array.from(a.next(12)));
  });
});

describe('gatherBatch', () => {
  it('builds scaled float batches from Uint8 rows and int batches from Int32 rows', () => {
    const pixels: ExampleArray = {
      data: Uint8Array.from([0, 255, 51, 102, 10, 20]),
      exampleShape: [2],
      scale: 1 / 255,
    };
    expect(exampleCount(pixels)).toBe(3);
    const x = gatherBatch(pixels, [2, 0]);
    expect(x.shape).toEqual([2, 2]);
    expect(x.dtype).toBe('float32');
    expect(Array.from(x.dataSync())).toEqual([10 / 255, 20 / 255, 0, 1].map((v) => Math.fround(v)));
    const tokens: ExampleArray = { data: Int32Array.from([1, 2, 3, 4, 5, 6]), exampleShape: [3] };
    const t = gatherBatch(tokens, [1]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([4, 5, 6]);
    tf.dispose([x, t]);
  });
});

describe('custom training loop on wasm', () => {
  // Thousands of tiny steps: any tensor leaked per step would show in tf.memory().
  const cases: {
    name: string;
    steps: number;
    optimizer: () => tfType.Optimizer;
    data: () => [ExampleArray, ExampleArray];
    layers: () => tfType.layers.Layer[];
  }[] = [
    {
      name: 'MLP with dropout',
      steps: 2000,
      // Momentum: optimizer slots like Adam, a third of the ops per step (keeps 2000 steps fast).
      optimizer: () => tf.train.momentum(0.01, 0.9),
      data: () => [
        { data: Float32Array.from(seededNormal(32 * 4, 'mx')), exampleShape: [4] },
        { data: Float32Array.from(seededNormal(32, 'my')), exampleShape: [1] },
      ],
      layers: () => [
        tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.1 }),
        tf.layers.dense({ units: 1 }),
      ],
    },
    {
      name: 'conv + pool + batchnorm',
      steps: 200,
      optimizer: () => tf.train.adam(0.01),
      data: () => [
        {
          data: Uint8Array.from(seededNormal(16 * 36, 'cx'), (v) => Math.abs(v) * 60),
          exampleShape: [6, 6, 1],
          scale: 1 / 255,
        },
        { data: Float32Array.from(seededNormal(16, 'cy')), exampleShape: [1] },
      ],
      layers: () => [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1 }),
      ],
    },
    {
      name: 'embedding + GRU',
      steps: 100,
      optimizer: () => tf.train.adam(0.01),
      data: () => [
        {
          data: Int32Array.from(seededNormal(16 * 4, 'gx'), (v) => Math.abs(Math.round(v * 3)) % 9),
          exampleShape: [4],
        },
        { data: Float32Array.from(seededNormal(16, 'gy')), exampleShape: [1] },
      ],
      layers: () => [
        tf.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 4 }),
        tf.layers.gru({ units: 3 }),
        tf.layers.dense({ units: 1 }),
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.steps} steps, no tensor leak, loss goes down`, async () => {
      const [x, y] = c.data();
      const model = tf.sequential({ layers: c.layers() });
      const optimizer = c.optimizer();
      const run = (steps: number) =>
        trainSteps({
          optimizer,
          varList: trainableVariables(model),
          sampler: new BatchSampler(exampleCount(x), c.name),
          batchSize: 8,
          steps,
          makeBatch: (idx) => [gatherBatch(x, idx), gatherBatch(y, idx)],
          loss: ([bx, by]) =>
            tf.losses.meanSquaredError<tfType.Tensor, tfType.Scalar>(
              by!,
              model.apply(bx!, { training: true }) as tfType.Tensor,
            ),
        });
      const first = await run(20); // creates the optimizer's slot variables
      const before = tf.memory();
      const last = await run(c.steps);
      const after = tf.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(last.meanLoss).toBeLessThan(first.meanLoss);
      model.dispose();
      optimizer.dispose();
    });
  }
});
