import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { CIFAR10_META, CIFAR10_TEST_BATCH, CIFAR10_TRAIN_BATCHES } from './catalog.js';
import { DatasetFormatError } from './errors.js';
import type { ImageDataset, ImageDatasetSplits } from './image-dataset.js';
import { locateDataset, type LocateOptions, type LocatedDataset } from './locate.js';
import { readTarFile } from './tar.js';

export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

const SIDE = 32;
const PIXELS = SIDE * SIDE;
/** One record: a label byte, then the red, green and blue planes (each 32x32, row-major). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * PIXELS;

/** Class names from batches.meta.txt: one per line, blank lines ignored. */
export function parseCifarMeta(bytes: Uint8Array, file: string): string[] {
  const names = new TextDecoder('utf-8')
    .decode(bytes)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (names.length !== 10) {
    throw new DatasetFormatError(file, `lists ${names.length} class names, expected 10`);
  }
  return names;
}

function checkBatchSize(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0) throw new DatasetFormatError(file, 'is empty');
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DatasetFormatError(
      file,
      `${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records ` +
        `(${Math.floor(bytes.length / CIFAR10_RECORD_BYTES)} records and ${bytes.length % CIFAR10_RECORD_BYTES} bytes left over): truncated or not a CIFAR-10 batch`,
    );
  }
  return bytes.length / CIFAR10_RECORD_BYTES;
}

/**
 * Decode batches of planar (CHW) records into one NHWC data set, checking every label.
 * `batches` are (file name, bytes) pairs in order.
 */
export function decodeCifarBatches(
  batches: readonly { file: string; bytes: Uint8Array }[],
  classNames: readonly string[] = CIFAR10_CLASSES,
): ImageDataset {
  const counts = batches.map((b) => checkBatchSize(b.bytes, b.file));
  const count = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(count * PIXELS * 3);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const { file, bytes } of batches) {
    const records = bytes.length / CIFAR10_RECORD_BYTES;
    for (let r = 0; r < records; r++, n++) {
      const base = r * CIFAR10_RECORD_BYTES;
      const label = bytes[base] as number;
      if (label >= classNames.length) {
        throw new DatasetFormatError(
          file,
          `record ${r} has label ${label}, outside 0..${classNames.length - 1}: not a CIFAR-10 batch or corrupt`,
        );
      }
      labels[n] = label;
      const out = n * PIXELS * 3;
      const red = base + 1;
      const green = red + PIXELS;
      const blue = green + PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        const o = out + 3 * p;
        images[o] = bytes[red + p] as number;
        images[o + 1] = bytes[green + p] as number;
        images[o + 2] = bytes[blue + p] as number;
      }
    }
  }
  return { images, labels, count, height: SIDE, width: SIDE, channels: 3, classNames };
}

export interface Cifar10 extends ImageDatasetSplits {
  readonly classNames: readonly string[];
}

function assemble(files: Map<string, Uint8Array>, source: string): Cifar10 {
  const missing = [...CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH].filter((f) => !files.has(f));
  if (missing.length > 0) {
    throw new DatasetFormatError(
      source,
      `lacks ${missing.join(', ')}; the CIFAR-10 binary version has data_batch_1..5.bin and test_batch.bin`,
    );
  }
  const meta = files.get(CIFAR10_META);
  const classNames = meta ? parseCifarMeta(meta, `${source}: ${CIFAR10_META}`) : CIFAR10_CLASSES;
  const batch = (f: string): { file: string; bytes: Uint8Array } => ({
    file: `${source}: ${f}`,
    bytes: files.get(f) as Uint8Array,
  });
  return {
    train: decodeCifarBatches(CIFAR10_TRAIN_BATCHES.map(batch), classNames),
    test: decodeCifarBatches([batch(CIFAR10_TEST_BATCH)], classNames),
    classNames,
  };
}

const WANTED = new Set([...CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH, CIFAR10_META]);

/** Read the official `cifar-10-binary.tar.gz` without unpacking it to disk. */
export async function readCifar10Archive(archive: string): Promise<Cifar10> {
  const { entries } = await readTarFile(archive, (e) => WANTED.has(basename(e.name)));
  const byBase = new Map<string, Uint8Array>();
  for (const [name, bytes] of entries) {
    const base = basename(name);
    if (byBase.has(base)) throw new DatasetFormatError(archive, `holds more than one ${base}`);
    byBase.set(base, bytes);
  }
  return assemble(byBase, archive);
}

/** Read an unpacked `cifar-10-batches-bin/` folder. */
export async function readCifar10Folder(dir: string): Promise<Cifar10> {
  const files = new Map<string, Uint8Array>();
  await Promise.all(
    [...WANTED].map(async (f) => {
      try {
        files.set(f, await readFile(join(dir, f)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }),
  );
  return assemble(files, dir);
}

/** Read either form, as found by `locateDataset('cifar-10')`. */
export function readCifar10(location: Pick<LocatedDataset, 'path' | 'kind'>): Promise<Cifar10> {
  return location.kind === 'archive'
    ? readCifar10Archive(location.path)
    : readCifar10Folder(location.path);
}

/**
 * Find CIFAR-10 (see `locateDataset`) and load train (data_batch_1..5, 50,000 images) and test
 * (test_batch, 10,000), images NHWC 32x32x3.
 */
export async function loadCifar10(
  options: LocateOptions = {},
): Promise<Cifar10 & { location: LocatedDataset }> {
  const location = await locateDataset('cifar-10', options);
  return { ...(await readCifar10(location)), location };
}
