import { ConfigError } from '../../engine/core/errors.js';
import { createRng } from '../../engine/core/rng.js';

/**
 * Labelled images held as raw bytes. `images` is NHWC: image i, row y, column x, channel c is
 * at `((i * height + y) * width + x) * channels + c`; values 0..255.
 */
export interface ImageDataset {
  readonly images: Uint8Array;
  /** One class index per image, `< classNames.length`. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classNames: readonly string[];
}

export interface ImageDatasetSplits {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
}

/** The images (in the given order) of `ds` at `indices`, copied into a new data set. */
export function selectImages(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
      throw new RangeError(`image index ${i} is outside 0..${ds.count - 1}`);
    }
    images.set(ds.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = ds.labels[i] as number;
  }
  return { ...ds, images, labels, count: indices.length };
}

/**
 * Hold out `holdout` images for validation, chosen by a seeded shuffle (the same seed gives
 * the same split). Both parts keep the original relative order of their images.
 */
export function splitValidation(
  ds: ImageDataset,
  holdout: number,
  seed: number | string,
): { train: ImageDataset; validation: ImageDataset } {
  if (!Number.isInteger(holdout) || holdout < 0 || holdout >= ds.count) {
    throw new ConfigError(
      `validation holdout must be an integer from 0 to ${ds.count - 1} (the data set has ${ds.count} images), got ${holdout}`,
    );
  }
  const order = Array.from({ length: ds.count }, (_, i) => i);
  const rng = createRng('split-validation', seed);
  // Fisher-Yates, then keep the first `holdout` positions as the validation set.
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  const validation = order.slice(0, holdout).sort((a, b) => a - b);
  const train = order.slice(holdout).sort((a, b) => a - b);
  return { train: selectImages(ds, train), validation: selectImages(ds, validation) };
}

/**
 * Per-channel mean and (population) standard deviation of pixel values scaled to [0, 1],
 * the numbers used to normalise inputs (CIFAR-10 train: mean 0.4914, 0.4822, 0.4465).
 */
export function channelStats(ds: ImageDataset): { mean: number[]; std: number[] } {
  const c = ds.channels;
  // Integer histograms per channel: exact sums, and fast on 150 M bytes.
  const hist = Array.from({ length: c }, () => new Float64Array(256));
  const n = ds.count * ds.height * ds.width;
  const { images } = ds;
  for (let ch = 0; ch < c; ch++) {
    const h = hist[ch] as Float64Array;
    for (let i = ch; i < n * c; i += c) h[images[i] as number]! += 1;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (const h of hist) {
    let sum = 0;
    let sumSq = 0;
    for (let v = 0; v < 256; v++) {
      sum += (h[v] as number) * v;
      sumSq += (h[v] as number) * v * v;
    }
    const m = n === 0 ? 0 : sum / n;
    const variance = n === 0 ? 0 : Math.max(0, sumSq / n - m * m);
    mean.push(m / 255);
    std.push(Math.sqrt(variance) / 255);
  }
  return { mean, std };
}

/** How many images carry each label (index = class). */
export function classCounts(ds: ImageDataset): number[] {
  const counts = new Array<number>(ds.classNames.length).fill(0);
  for (const label of ds.labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}
