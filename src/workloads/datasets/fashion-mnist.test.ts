import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { DatasetFormatError } from './errors.js';
import { loadFashionMnist, readFashionMnist, readIdxImageSplit } from './fashion-mnist.js';
import { classCounts } from './image-dataset.js';
import { locateDataset } from './locate.js';
import { idxBytes, tempDir, rejectionOf, removeTempDirs } from './test-fixtures.js';

afterAll(removeTempDirs);

function images(count: number, side = 28): Uint8Array {
  const data = new Uint8Array(count * side * side);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 256;
  return idxBytes([count, side, side], data);
}

function labels(values: readonly number[]): Uint8Array {
  return idxBytes([values.length], Uint8Array.from(values));
}

/** Write a split's two files (gzipped unless `raw`) and return their paths. */
function writeSplit(
  dir: string,
  prefix: string,
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  raw = false,
): [string, string] {
  const img = join(dir, `${prefix}-images-idx3-ubyte${raw ? '' : '.gz'}`);
  const lab = join(dir, `${prefix}-labels-idx1-ubyte${raw ? '' : '.gz'}`);
  writeFileSync(img, raw ? imageBytes : gzipSync(imageBytes));
  writeFileSync(lab, raw ? labelBytes : gzipSync(labelBytes));
  return [img, lab];
}

describe('Fashion-MNIST IDX loader', () => {
  it('reads gzipped and un-gzipped IDX files into 28x28x1 images', async () => {
    const dir = tempDir();
    writeSplit(dir, 'train', images(3), labels([0, 9, 4]));
    writeSplit(dir, 't10k', images(2), labels([1, 2]), true);
    const { train, test } = await readFashionMnist(dir);
    expect(train.count).toBe(3);
    expect([train.height, train.width, train.channels]).toEqual([28, 28, 1]);
    expect(train.images.length).toBe(3 * 28 * 28);
    expect(Array.from(train.labels)).toEqual([0, 9, 4]);
    // Pixel 800 of image 1 is byte 784 + 800 of the data block.
    expect(train.images[784 + 800]).toBe(((784 + 800) * 13) % 256);
    expect(test.count).toBe(2);
    expect(Array.from(test.labels)).toEqual([1, 2]);
    expect(train.classNames[9]).toBe('Ankle boot');
  });

  it('names the file and says "truncated" when the data is shorter than the header declares', async () => {
    const dir = tempDir();
    const full = images(3);
    const [img, lab] = writeSplit(
      dir,
      'train',
      full.subarray(0, full.length - 100),
      labels([0, 1, 2]),
    );
    const error = await rejectionOf(readIdxImageSplit(img, lab));
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as DatasetFormatError).code).toBe('DATASET_FORMAT');
    expect(error.message).toContain(img);
    expect(error.message).toMatch(/truncated.*3 x 28 x 28/);
  });

  it('rejects a file shorter than the IDX header', async () => {
    const dir = tempDir();
    const [img, lab] = writeSplit(dir, 'train', images(1).subarray(0, 10), labels([0]));
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(
      /shorter than the 16-byte IDX header/,
    );
  });

  it('rejects trailing bytes after the declared data', async () => {
    const dir = tempDir();
    const extra = new Uint8Array(images(1).length + 5);
    extra.set(images(1));
    const [img, lab] = writeSplit(dir, 'train', extra, labels([0]));
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(/5 unexpected trailing bytes/);
  });

  it('rejects a wrong magic number (labels file given as images)', async () => {
    const dir = tempDir();
    const ten = labels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [img, lab] = writeSplit(dir, 'train', ten, ten);
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(
      /wrong magic number 0x00000801, expected 0x00000803/,
    );
  });

  it('rejects images that are not 28x28', async () => {
    const dir = tempDir();
    const [img, lab] = writeSplit(dir, 'train', images(2, 32), labels([0, 1]));
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(/32x32, expected 28x28/);
  });

  it('rejects differing image and label counts', async () => {
    const dir = tempDir();
    const [img, lab] = writeSplit(dir, 'train', images(3), labels([0, 1]));
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(/has 2 labels but .* has 3 images/);
  });

  it('rejects labels outside 0..9 and says where', async () => {
    const dir = tempDir();
    const [img, lab] = writeSplit(dir, 'train', images(3), labels([0, 10, 2]));
    const error = await rejectionOf<Error>(readIdxImageSplit(img, lab));
    expect(error.message).toContain(lab);
    expect(error.message).toMatch(/label 10 at index 1 is out of range/);
  });

  it('reports a truncated gzip stream as such', async () => {
    const dir = tempDir();
    const img = join(dir, 'train-images-idx3-ubyte.gz');
    const gz = gzipSync(images(3));
    writeFileSync(img, gz.subarray(0, gz.length - 20));
    const lab = join(dir, 'train-labels-idx1-ubyte');
    writeFileSync(lab, labels([0, 1, 2]));
    await expect(readIdxImageSplit(img, lab)).rejects.toThrow(/not a valid gzip stream.*truncated/);
  });

  it('is found through an explicit path', async () => {
    const dir = tempDir();
    writeSplit(dir, 'train', images(1), labels([3]));
    writeSplit(dir, 't10k', images(1), labels([4]));
    const ds = await loadFashionMnist({ path: dir });
    expect(ds.location.source).toBe('explicit');
    expect(ds.test.labels[0]).toBe(4);
  });
});

// Real data: installed by `apt-get install dataset-fashion-mnist` (or found via $PBT_DATA_DIR ...).
const real = await locateDataset('fashion-mnist').catch(() => null);
const reason = real
  ? `at ${real.path}`
  : 'SKIPPED: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)';

describe(`real Fashion-MNIST (${reason})`, () => {
  it.skipIf(real === null)(
    'loads 60,000 train and 10,000 test images, 6,000/1,000 per class',
    async () => {
      const ds = await loadFashionMnist();
      expect(ds.train.count).toBe(60000);
      expect(ds.test.count).toBe(10000);
      expect(ds.train.images.length).toBe(60000 * 784);
      expect(classCounts(ds.train)).toEqual(new Array(10).fill(6000));
      expect(classCounts(ds.test)).toEqual(new Array(10).fill(1000));
    },
  );
});
