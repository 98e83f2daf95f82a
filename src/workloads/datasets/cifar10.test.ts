import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import {
  CIFAR10_RECORD_BYTES,
  decodeCifarBatches,
  loadCifar10,
  readCifar10Archive,
  readCifar10Folder,
} from './cifar10.js';
import { DatasetFormatError } from './errors.js';
import { channelStats, classCounts } from './image-dataset.js';
import { locateDataset } from './locate.js';
import {
  cifarPixel,
  cifarRecords,
  tarBytes,
  tempDir,
  rejectionOf,
  removeTempDirs,
} from './test-fixtures.js';

afterAll(removeTempDirs);

const META = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n';

/** Files of a tiny CIFAR-10: batch i has i+1 records (labels 0..), test has 2. */
function tinyFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (let b = 1; b <= 5; b++) {
    files.set(
      `data_batch_${b}.bin`,
      cifarRecords(Array.from({ length: b }, (_, r) => (b + r) % 10)),
    );
  }
  files.set('test_batch.bin', cifarRecords([7, 3]));
  files.set('batches.meta.txt', new TextEncoder().encode(META));
  return files;
}

function writeArchive(
  dir: string,
  files: Map<string, Uint8Array>,
  name = 'cifar-10-binary.tar.gz',
): string {
  const entries = [
    { name: 'cifar-10-batches-bin/', type: '5' },
    ...[...files].map(([f, data]) => ({ name: `cifar-10-batches-bin/${f}`, data })),
  ];
  const path = join(dir, name);
  writeFileSync(path, gzipSync(tarBytes(entries)));
  return path;
}

describe('CIFAR-10 binary loader', () => {
  it('reads the archive, converts planar CHW records to NHWC, keeps batch order', async () => {
    const archive = writeArchive(tempDir(), tinyFiles());
    const ds = await readCifar10Archive(archive);
    expect(ds.train.count).toBe(1 + 2 + 3 + 4 + 5);
    expect(ds.test.count).toBe(2);
    expect([ds.train.height, ds.train.width, ds.train.channels]).toEqual([32, 32, 3]);
    expect(ds.classNames).toEqual(META.trim().split('\n'));
    // Train image 3 is record 0 of data_batch_3 (batches 1 and 2 hold 1 + 2 records).
    expect(ds.train.labels[3]).toBe(3);
    const n = 3;
    for (const [y, x] of [
      [0, 0],
      [5, 17],
      [31, 31],
    ] as const) {
      const p = y * 32 + x;
      const at = ((n * 32 + y) * 32 + x) * 3;
      expect(Array.from(ds.train.images.subarray(at, at + 3))).toEqual([
        cifarPixel(0, 0, p),
        cifarPixel(0, 1, p),
        cifarPixel(0, 2, p),
      ]);
    }
    expect(Array.from(ds.test.labels)).toEqual([7, 3]);
    // Test image 1, pixel (2, 3), green channel: record 1, channel 1, pixel 67.
    expect(ds.test.images[((1 * 32 + 2) * 32 + 3) * 3 + 1]).toBe(cifarPixel(1, 1, 67));
  });

  it('reads an unpacked cifar-10-batches-bin folder the same way', async () => {
    const dir = tempDir();
    const files = tinyFiles();
    const folder = join(dir, 'cifar-10-batches-bin');
    mkdirSync(folder);
    for (const [f, data] of files) writeFileSync(join(folder, f), data);
    const fromFolder = await readCifar10Folder(folder);
    const fromArchive = await readCifar10Archive(writeArchive(tempDir(), files));
    expect(fromFolder.train.images).toEqual(fromArchive.train.images);
    expect(fromFolder.train.labels).toEqual(fromArchive.train.labels);
    const located = await loadCifar10({ path: dir });
    expect(located.location.kind).toBe('directory');
    expect(located.train.count).toBe(15);
  });

  it('names a missing batch', async () => {
    const files = tinyFiles();
    files.delete('data_batch_4.bin');
    const archive = writeArchive(tempDir(), files);
    await expect(readCifar10Archive(archive)).rejects.toThrow(/lacks data_batch_4\.bin/);
  });

  it('rejects a batch that is not a whole number of 3073-byte records', async () => {
    const files = tinyFiles();
    const batch = files.get('data_batch_2.bin') as Uint8Array;
    files.set('data_batch_2.bin', batch.subarray(0, batch.length - 10));
    const error = await rejectionOf(readCifar10Archive(writeArchive(tempDir(), files)));
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toMatch(
      /data_batch_2\.bin: 6136 bytes is not a whole number of 3073-byte records/,
    );
  });

  it('rejects labels of 10 or more, naming the record', () => {
    const bytes = cifarRecords([1, 2, 3]);
    bytes[2 * CIFAR10_RECORD_BYTES] = 12;
    expect(() => decodeCifarBatches([{ file: 'b.bin', bytes }])).toThrow(
      /b\.bin: record 2 has label 12, outside 0\.\.9/,
    );
  });

  it('reports a truncated archive', async () => {
    const dir = tempDir();
    const archive = writeArchive(dir, tinyFiles());
    const tar = gunzipSync(readFileSync(archive));
    // Cut inside data_batch_2, then re-gzip: a valid gzip stream holding a truncated tar.
    writeFileSync(archive, gzipSync(tar.subarray(0, 512 * 20)));
    await expect(readCifar10Archive(archive)).rejects.toThrow(
      /archive is truncated: it ends inside cifar-10-batches-bin\/data_batch_2\.bin/,
    );
  });
});

// Real data: the project's ../shared/datasets/cifar-10-binary.tar.gz, found by the locate rules.
const real = await locateDataset('cifar-10').catch(() => null);
const reason = real ? `at ${real.path}` : 'SKIPPED: CIFAR-10 not found (see docs/data.md)';

describe(`real CIFAR-10 (${reason})`, () => {
  it.skipIf(real === null)(
    'loads 50,000 train / 10,000 test, 5,000 per class, published channel means',
    async () => {
      const ds = await loadCifar10();
      expect(ds.train.count).toBe(50000);
      expect(ds.test.count).toBe(10000);
      expect(ds.train.images.length).toBe(50000 * 32 * 32 * 3);
      expect(classCounts(ds.train)).toEqual(new Array(10).fill(5000));
      expect(classCounts(ds.test)).toEqual(new Array(10).fill(1000));
      const { mean, std } = channelStats(ds.train);
      expect(mean[0]).toBeCloseTo(0.4914, 3);
      expect(mean[1]).toBeCloseTo(0.4822, 3);
      expect(mean[2]).toBeCloseTo(0.4465, 3);
      expect(std[0]).toBeCloseTo(0.247, 3);
      expect(std[1]).toBeCloseTo(0.2435, 3);
      expect(std[2]).toBeCloseTo(0.2616, 3);
    },
  );
});
