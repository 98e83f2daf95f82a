import { existsSync } from 'node:fs';

import { FASHION_MNIST_FILES } from './catalog.js';
import { DatasetFormatError, DatasetNotFoundError } from './errors.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx.js';
import type { ImageDataset, ImageDatasetSplits } from './image-dataset.js';
import {
  idxFileCandidates,
  locateDataset,
  type LocateOptions,
  type LocatedDataset,
} from './locate.js';
import { readMaybeGzip } from './read-bytes.js';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const SIDE = 28;

function findIdxFile(dir: string, base: string): string {
  const found = idxFileCandidates(dir, base).find((p) => existsSync(p));
  if (found === undefined) {
    throw new DatasetNotFoundError(
      'fashion-mnist',
      [dir],
      `${dir} has no ${base}.gz (or un-gzipped ${base})`,
    );
  }
  return found;
}

/** Decode one split from its images and labels IDX files (gzipped or not), fully validated. */
export async function readIdxImageSplit(
  imagesFile: string,
  labelsFile: string,
  classNames: readonly string[] = FASHION_MNIST_CLASSES,
): Promise<ImageDataset> {
  const [imageBytes, labelBytes] = await Promise.all([
    readMaybeGzip(imagesFile),
    readMaybeGzip(labelsFile),
  ]);
  const images = parseIdx(imageBytes, imagesFile, IDX_IMAGES_MAGIC);
  const labels = parseIdx(labelBytes, labelsFile, IDX_LABELS_MAGIC);
  const [count = 0, height = 0, width = 0] = images.dims;
  if (height !== SIDE || width !== SIDE) {
    throw new DatasetFormatError(
      imagesFile,
      `images are ${height}x${width}, expected ${SIDE}x${SIDE} (Fashion-MNIST)`,
    );
  }
  const labelCount = labels.dims[0] ?? 0;
  if (labelCount !== count) {
    throw new DatasetFormatError(
      labelsFile,
      `has ${labelCount} labels but ${imagesFile} has ${count} images; the files do not belong together`,
    );
  }
  if (count === 0) throw new DatasetFormatError(imagesFile, 'holds no images');
  for (let i = 0; i < labels.data.length; i++) {
    const label = labels.data[i] as number;
    if (label >= classNames.length) {
      throw new DatasetFormatError(
        labelsFile,
        `label ${label} at index ${i} is out of range (classes are 0..${classNames.length - 1})`,
      );
    }
  }
  return {
    images: images.data,
    labels: labels.data,
    count,
    height,
    width,
    channels: 1,
    classNames,
  };
}

/** Read the four official IDX files from a folder. */
export async function readFashionMnist(dir: string): Promise<ImageDatasetSplits> {
  const f = FASHION_MNIST_FILES;
  const [train, test] = await Promise.all([
    readIdxImageSplit(findIdxFile(dir, f.trainImages), findIdxFile(dir, f.trainLabels)),
    readIdxImageSplit(findIdxFile(dir, f.testImages), findIdxFile(dir, f.testLabels)),
  ]);
  return { train, test };
}

/** Find Fashion-MNIST (see `locateDataset`) and load train (60,000) and test (10,000). */
export async function loadFashionMnist(
  options: LocateOptions = {},
): Promise<ImageDatasetSplits & { location: LocatedDataset }> {
  const location = await locateDataset('fashion-mnist', options);
  return { ...(await readFashionMnist(location.path)), location };
}
