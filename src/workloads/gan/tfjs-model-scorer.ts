import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../engine/core/errors.js';
import type { ImageScorer } from './image-scorer.js';

/**
 * A GAN scorer from a local TF.js layers model (`--set scoreModel=/path/to/model.json`), e.g.
 * Keras' Inception-v3 converted with `tensorflowjs_converter --input_format keras`. There is no
 * tfjs-node here, so model.json and its weight shards are read from disk and handed to
 * `tf.io.fromMemory`. Generated 32×32 images are resized (bilinear) to the model's input size;
 * the output layer gives p(y|x) (softmax applied unless the output already is one) and the
 * layer before it the features for the Fréchet distance (Inception-v3: the 2048-d average pool,
 * as in FID).
 */

/** Pixel range the model expects: Keras Inception-v3 uses [-1, 1] ('symmetric'). */
export type PixelRange = 'symmetric' | 'unit' | 'byte';

export interface TfjsScorerOptions {
  /** Input height = width when the model leaves it open (default 299, Inception-v3's). */
  readonly inputSize?: number | undefined;
  readonly range?: PixelRange | undefined;
  /** Name of the feature layer (default: the layer before the output layer). */
  readonly featureLayer?: string | undefined;
  /** Images per forward pass (default 32). */
  readonly batchSize?: number | undefined;
}

/** model.json and its weight shards (paths relative to model.json) as in-memory artifacts. */
export async function readModelArtifacts(modelJsonPath: string): Promise<tf.io.ModelArtifacts> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw new ConfigError(`cannot read the TF.js model ${modelJsonPath}: ${(e as Error).message}`);
  }
  if (typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new ConfigError(`${modelJsonPath} is not a TF.js model.json (no topology or weights)`);
  }
  const dir = dirname(modelJsonPath);
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const shards = await Promise.all(
      manifest.flatMap((group) => group.paths.map((p) => readFile(resolve(dir, p)))),
    );
    // One buffer: shards split the weights at arbitrary byte offsets.
    const all = Buffer.concat(shards);
    return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
  });
}

function isGraphModel(a: tf.io.ModelArtifacts): boolean {
  const topology = a.modelTopology as { node?: unknown } | undefined;
  return a.format === 'graph-model' || (topology !== undefined && 'node' in topology);
}

const sizeOf = (shape: readonly (number | null)[], what: string): number =>
  shape.slice(1).reduce<number>((p, d) => {
    if (d === null) throw new ConfigError(`score model: ${what} has an open dimension`);
    return p * d;
  }, 1);

/** The scorer of a local TF.js layers model. */
export async function loadTfjsModelScorer(
  modelJsonPath: string,
  o: TfjsScorerOptions = {},
): Promise<ImageScorer> {
  const artifacts = await readModelArtifacts(modelJsonPath);
  if (isGraphModel(artifacts)) {
    throw new ConfigError(
      `${modelJsonPath} is a TF.js graph model; only layers models are supported (convert the Keras model with tensorflowjs_converter --input_format keras)`,
    );
  }
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const output = model.layers.at(-1);
  const featureLayer =
    o.featureLayer === undefined ? model.layers.at(-2) : model.getLayer(o.featureLayer);
  const input = model.inputs[0];
  if (output === undefined || featureLayer === undefined || input === undefined) {
    model.dispose();
    throw new ConfigError(`score model ${modelJsonPath} needs an input and at least two layers`);
  }
  const [, h, w, c] = input.shape;
  if (c !== 3) {
    model.dispose();
    throw new ConfigError(
      `score model ${modelJsonPath} must take RGB images, input ${JSON.stringify(input.shape)}`,
    );
  }
  const height = h ?? o.inputSize ?? 299;
  const width = w ?? o.inputSize ?? 299;
  const both = tf.model({
    inputs: model.inputs,
    outputs: [featureLayer.output as tf.SymbolicTensor, model.outputs[0] as tf.SymbolicTensor],
  });
  const classes = sizeOf(model.outputs[0]?.shape ?? [], 'the output');
  const featureDim = sizeOf(featureLayer.outputShape as (number | null)[], 'the feature layer');
  const config = output.getConfig() as { activation?: unknown };
  const givesProbabilities = output.getClassName() === 'Softmax' || config.activation === 'softmax';
  const range = o.range ?? 'symmetric';
  const batchSize = o.batchSize ?? 32;
  const inception = /inception/i.test(`${model.name} ${basename(dirname(modelJsonPath))}`);

  return {
    name: inception ? 'Inception Score' : `score of the model ${modelJsonPath}`,
    metric: inception ? 'inceptionScore' : 'modelScore',
    classes,
    featureDim,
    classify(images) {
      const n = images.shape[0];
      const probs = new Float32Array(n * classes);
      const features = new Float32Array(n * featureDim);
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const [f, p] = tf.tidy(() => {
          let x: tf.Tensor4D = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
          if (x.shape[1] !== height || x.shape[2] !== width) {
            x = tf.image.resizeBilinear(x, [height, width]);
          }
          // Generated images are in [-1, 1].
          if (range === 'unit') x = tf.div(tf.add(x, 1), 2);
          else if (range === 'byte') x = tf.mul(tf.add(x, 1), 127.5);
          const [feats, out] = both.predict(x) as tf.Tensor[];
          const flatOut = tf.reshape(out as tf.Tensor, [size, classes]);
          return [
            tf.reshape(feats as tf.Tensor, [size, featureDim]),
            givesProbabilities ? flatOut : tf.softmax(flatOut),
          ];
        });
        features.set(f.dataSync(), start * featureDim);
        probs.set(p.dataSync(), start * classes);
        tf.dispose([f, p]);
      }
      return { probs, features };
    },
    dispose: () => model.dispose(),
  };
}
