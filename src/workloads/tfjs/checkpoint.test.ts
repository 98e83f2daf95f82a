import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PbtError } from '../../engine/core/errors.js';
import { initBackend } from './backend.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  loadModelWeights,
  modelTensors,
  restoreOptimizer,
} from './checkpoint.js';
import { seededNormal, seedWeights } from './test-helpers.js';
import {
  BatchSampler,
  gatherBatch,
  trainSteps,
  trainableVariables,
  type ExampleArray,
} from './train-loop.js';

let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

const N = 64;
const xs: ExampleArray = {
  data: Uint8Array.from(seededNormal(N * 8, 'ckpt-x'), (v) => Math.min(255, Math.abs(v) * 80)),
  exampleShape: [8],
  scale: 1 / 255,
};
const ys: ExampleArray = {
  data: Float32Array.from(seededNormal(N * 2, 'ckpt-y')),
  exampleShape: [2],
};

function buildModel(seed: string): tfType.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }),
      // Non-trainable state (moving statistics) must round-trip too.
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  seedWeights(tf, model, seed);
  return model;
}

type OptimizerName = 'adam' | 'momentum' | 'sgd';
function buildOptimizer(name: OptimizerName): tfType.Optimizer {
  if (name === 'adam') return tf.train.adam(0.01);
  if (name === 'momentum') return tf.train.momentum(0.05, 0.9, true);
  return tf.train.sgd(0.05);
}

async function train(
  model: tfType.LayersModel,
  opt: tfType.Optimizer,
  sampler: BatchSampler,
  steps: number,
): Promise<void> {
  await trainSteps({
    optimizer: opt,
    varList: trainableVariables(model),
    sampler,
    batchSize: 8,
    steps,
    makeBatch: (idx) => [gatherBatch(xs, idx), gatherBatch(ys, idx)],
    loss: ([x, y]) =>
      tf.losses.meanSquaredError<tfType.Tensor, tfType.Scalar>(
        y!,
        model.apply(x!, { training: true }) as tfType.Tensor,
      ),
  });
}

function flatWeights(model: tfType.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

describe('tfjs checkpoints', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const optName of ['adam', 'momentum', 'sgd'] as const) {
      it(`N steps + save/load + M steps == N+M steps, bit-exact (${backend}, ${optName})`, async () => {
        await tf.setBackend(backend);
        // Uninterrupted reference.
        const refModel = buildModel('init');
        const refOpt = buildOptimizer(optName);
        await train(refModel, refOpt, new BatchSampler(N, 's'), 13);
        const expected = flatWeights(refModel);

        // Interrupted run: 7 steps, checkpoint, fresh model + optimizer, 6 more steps.
        const model = buildModel('init');
        const opt = buildOptimizer(optName);
        const sampler = new BatchSampler(N, 's');
        await train(model, opt, sampler, 7);
        const bytes = await encodeCheckpoint({
          tensors: modelTensors(model),
          optimizers: { main: opt },
          meta: { sampler: sampler.state() },
        });
        // Later training must not change what was saved.
        await train(model, opt, sampler, 3);

        const decoded = decodeCheckpoint(bytes);
        const fresh = buildModel('another init');
        expect(loadModelWeights(fresh, decoded.tensors)).toBe(decoded.tensors.length);
        const freshOpt = restoreOptimizer(decoded.optimizers['main']!);
        expect(freshOpt.iterations).toBe(7);
        const meta = decoded.meta as { sampler: { epoch: number; position: number } };
        await train(fresh, freshOpt, new BatchSampler(N, 's', meta.sampler), 6);

        const actual = flatWeights(fresh);
        expect(actual.length).toBe(expected.length);
        for (let i = 0; i < expected.length; i++) expect(actual[i]).toEqual(expected[i]);
        // Sanity: training actually moved the weights away from the loaded state.
        expect(flatWeights(buildModel('init'))[0]).not.toEqual(expected[0]);

        for (const m of [refModel, model, fresh]) m.dispose();
        for (const o of [refOpt, opt, freshOpt]) o.dispose();
        await tf.setBackend('wasm');
      });
    }
  }

  it('restoring and disposing an optimizer leaves no tensors behind', async () => {
    const model = buildModel('leak');
    const opt = buildOptimizer('adam');
    await train(model, opt, new BatchSampler(N, 'leak'), 2);
    const snapshot = decodeCheckpoint(
      await encodeCheckpoint({ tensors: [], optimizers: { o: opt } }),
    ).optimizers['o']!;
    const before = tf.memory().numTensors;
    const restored = restoreOptimizer(snapshot);
    // Adam: 2 beta powers + one first and one second moment per trained variable.
    expect(tf.memory().numTensors - before).toBe(2 + snapshot.slots.length);
    restored.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    opt.dispose();
  });

  it('decodes from an unaligned buffer and never aliases it', async () => {
    const t = tf.tensor([1.5, -2, 3], [3]);
    const ids = tf.tensor([7, 8], [2], 'int32');
    const bytes = await encodeCheckpoint({
      tensors: [
        { name: 'a', tensor: t },
        { name: 'b', tensor: ids },
      ],
      meta: { step: 5 },
    });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const view = shifted.subarray(1);
    const decoded = decodeCheckpoint(view);
    expect(Array.from(decoded.tensors[0]!.data)).toEqual([1.5, -2, 3]);
    expect(decoded.tensors[1]!.dtype).toBe('int32');
    expect(Array.from(decoded.tensors[1]!.data)).toEqual([7, 8]);
    expect(decoded.meta).toEqual({ step: 5 });
    view.fill(0);
    expect(Array.from(decoded.tensors[0]!.data)).toEqual([1.5, -2, 3]);
    tf.dispose([t, ids]);
  });

  it('rejects corrupt bytes and checkpoints of another architecture', async () => {
    const model = buildModel('x');
    const bytes = await encodeCheckpoint({ tensors: modelTensors(model) });
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(PbtError);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeCheckpoint(bad)).toThrow(/magic/);
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 3 })] });
    expect(() => loadModelWeights(other, decodeCheckpoint(bytes).tensors)).toThrow(/shape/);
    model.dispose();
    other.dispose();
  });

  it('refuses optimizers whose state it cannot save', async () => {
    const opt = tf.train.rmsprop(0.01);
    await expect(encodeCheckpoint({ tensors: [], optimizers: { o: opt } })).rejects.toThrow(
      /RMSProp/,
    );
    opt.dispose();
  });
});
