import { createRng } from '../../engine/core/rng.js';
import {
  channelStats,
  loadCifar10,
  loadFashionMnist,
  selectImages,
  splitValidation,
  type ImageDataset,
} from '../datasets/index.js';

/** The three parts of a data set the task uses, images kept as bytes (NHWC, 0..255). */
export interface ImageSplits {
  readonly train: ImageDataset;
  /** Held out from the training images: the score. */
  readonly validation: ImageDataset;
  /** The test images evaluated at ready points (a fixed subset, possibly all). */
  readonly testSubset: ImageDataset;
  /** The whole test set (final evaluation). */
  readonly test: ImageDataset;
  /** Per channel: byte value → normalised input ((v/255 − mean) / std of the training part). */
  readonly normalise: Float32Array;
}

export interface ImageDataRequest {
  readonly dataset: 'fashion-mnist' | 'cifar10';
  readonly dataPath?: string | undefined;
  readonly validation: number;
  readonly testExamples: number;
  readonly splitSeed: number;
}

/**
 * One copy per process: a worker process creates and loads many members, and the data sets are
 * large (CIFAR-10: 184 MB of bytes), so they are read once and shared by every member.
 */
const cache = new Map<string, Promise<ImageSplits>>();

export function loadImageSplits(req: ImageDataRequest): Promise<ImageSplits> {
  const key = JSON.stringify([
    req.dataset,
    req.dataPath ?? null,
    req.validation,
    req.testExamples,
    req.splitSeed,
  ]);
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = readSplits(req);
    cache.set(key, entry);
    // A failed load (missing files) must not stick: the user may fix it and retry in-process.
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

async function readSplits(req: ImageDataRequest): Promise<ImageSplits> {
  const locate = req.dataPath !== undefined ? { path: req.dataPath } : {};
  const { train: full, test } =
    req.dataset === 'cifar10' ? await loadCifar10(locate) : await loadFashionMnist(locate);
  return makeSplits(full, test, req);
}

/** Split and normalise in-memory data sets (tests use tiny synthetic ones). */
export function makeSplits(
  full: ImageDataset,
  test: ImageDataset,
  req: Pick<ImageDataRequest, 'validation' | 'testExamples' | 'splitSeed'>,
): ImageSplits {
  const { train, validation } = splitValidation(full, req.validation, req.splitSeed);
  return {
    train,
    validation,
    test,
    testSubset: testSubset(test, req.testExamples, req.splitSeed),
    normalise: normaliseTable(train),
  };
}

function testSubset(test: ImageDataset, n: number, seed: number): ImageDataset {
  if (n === 0 || n >= test.count) return test;
  // A seeded choice of n images, the same for every member and process.
  const order = Array.from({ length: test.count }, (_, i) => i);
  const rng = createRng('test-subset', seed);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(test.count - i);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
  return selectImages(
    test,
    order.slice(0, n).sort((a, b) => a - b),
  );
}

function normaliseTable(train: ImageDataset): Float32Array {
  const { mean, std } = channelStats(train);
  const table = new Float32Array(train.channels * 256);
  for (let c = 0; c < train.channels; c++) {
    const s = (std[c] ?? 1) > 0 ? (std[c] as number) : 1;
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - (mean[c] ?? 0)) / s;
  }
  return table;
}

/**
 * Flattened normalised inputs of the images at `indices` (in order) into a new Float32Array of
 * [indices.length, height·width·channels]: batches are built on demand from the bytes.
 */
export function inputBatch(
  ds: ImageDataset,
  normalise: Float32Array,
  indices: ArrayLike<number>,
): Float32Array {
  const size = ds.height * ds.width * ds.channels;
  const channels = ds.channels;
  const out = new Float32Array(indices.length * size);
  const images = ds.images;
  for (let b = 0; b < indices.length; b++) {
    const src = (indices[b] as number) * size;
    const dst = b * size;
    if (channels === 1) {
      for (let k = 0; k < size; k++) out[dst + k] = normalise[images[src + k] as number] as number;
    } else {
      for (let k = 0; k < size; k++) {
        out[dst + k] = normalise[(k % channels) * 256 + (images[src + k] as number)] as number;
      }
    }
  }
  return out;
}

/** Labels of the images at `indices` as int32 class indices. */
export function labelBatch(ds: ImageDataset, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) out[b] = ds.labels[indices[b] as number] as number;
  return out;
}
