import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../engine/core/errors.js';
import { createRng } from '../../engine/core/rng.js';
import { initBackend } from '../tfjs/backend.js';
import { loadTfjsModelScorer } from './tfjs-model-scorer.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'pbt-score-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tiny 8×8×3 → 4 features → 3 classes layers model. */
function tinyModel(outputActivation: 'softmax' | 'linear'): tf.LayersModel {
  const m = tf.sequential({ name: 'tiny' });
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 4, activation: 'relu', name: 'features' }));
  m.add(tf.layers.dense({ units: 3, activation: outputActivation, name: 'out' }));
  return m;
}

/** Saves `model` as model.json + two weight shards split at an odd byte offset, like the converter. */
async function saveToDir(model: tf.LayersModel, folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
  if (artifacts?.weightData === undefined || artifacts.weightSpecs === undefined) {
    throw new Error('no weights saved');
  }
  const bytes = new Uint8Array(
    Array.isArray(artifacts.weightData)
      ? await new Blob(artifacts.weightData).arrayBuffer()
      : artifacts.weightData,
  );
  await writeFile(join(folder, 'group1-shard1of2.bin'), bytes.subarray(0, 10));
  await writeFile(join(folder, 'group1-shard2of2.bin'), bytes.subarray(10));
  const json = {
    format: 'layers-model',
    generatedBy: 'test',
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [
      { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: artifacts.weightSpecs },
    ],
  };
  const file = join(folder, 'model.json');
  await writeFile(file, JSON.stringify(json));
  return file;
}

function randomImages(n: number): tf.Tensor4D {
  const rng = createRng('score-model-images');
  return tf.tensor4d(
    Float32Array.from({ length: n * 32 * 32 * 3 }, () => rng.next() * 2 - 1),
    [n, 32, 32, 3],
  );
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i] as number, 5);
};

describe('loadTfjsModelScorer', () => {
  it('loads a layers model from disk: softmax output as p(y|x), the layer before as features', async () => {
    const model = tinyModel('softmax');
    const file = await saveToDir(model, join(dir, 'tiny'));
    const scorer = await loadTfjsModelScorer(file, { batchSize: 3 });
    expect(scorer.classes).toBe(3);
    expect(scorer.featureDim).toBe(4);
    expect(scorer.name).not.toMatch(/Inception/);
    expect(scorer.metric).toBe('modelScore');

    const images = randomImages(5);
    const { probs, features } = scorer.classify(images);
    const resized = tf.image.resizeBilinear(images, [8, 8]);
    const expectedProbs = (model.predict(resized) as tf.Tensor).dataSync();
    const featureModel = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('features').output,
    });
    const expectedFeatures = (featureModel.predict(resized) as tf.Tensor).dataSync();
    close(probs, expectedProbs);
    close(features, expectedFeatures);
    // The features really differ between images (the batches were stitched in order).
    expect(features.slice(0, 4)).not.toEqual(features.slice(16, 20));
    tf.dispose([images, resized]);
    scorer.dispose();
    model.dispose();
  });

  it('applies softmax to a logit output and rescales pixels to the range asked for', async () => {
    const model = tinyModel('linear');
    const file = await saveToDir(model, join(dir, 'inception-v3-like'));
    const scorer = await loadTfjsModelScorer(file, { range: 'byte' });
    // Named after Inception only because of its folder name; the metric key follows.
    expect(scorer.name).toBe('Inception Score');
    expect(scorer.metric).toBe('inceptionScore');
    const images = randomImages(2);
    const { probs } = scorer.classify(images);
    const x = tf.mul(tf.add(tf.image.resizeBilinear(images, [8, 8]), 1), 127.5);
    const logits = model.predict(x) as tf.Tensor;
    const expected = tf.softmax(logits);
    close(probs, expected.dataSync());
    tf.dispose([images, x, logits, expected]);
    scorer.dispose();
    model.dispose();
  });

  it('rejects graph models and files that are not a TF.js model', async () => {
    const graph = join(dir, 'graph.json');
    await writeFile(
      graph,
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    await expect(loadTfjsModelScorer(graph)).rejects.toThrow(/graph model/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"hello": 1}');
    await expect(loadTfjsModelScorer(bad)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadTfjsModelScorer(join(dir, 'missing.json'))).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});
