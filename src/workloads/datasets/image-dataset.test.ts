import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../engine/core/errors.js';
import {
  channelStats,
  classCounts,
  selectImages,
  splitValidation,
  type ImageDataset,
} from './image-dataset.js';

/** `count` 2x2 RGB images; image i has every byte equal to i, label i % 3. */
function toy(count: number): ImageDataset {
  const images = new Uint8Array(count * 12);
  for (let i = 0; i < count; i++) images.fill(i, i * 12, (i + 1) * 12);
  return {
    images,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    count,
    height: 2,
    width: 2,
    channels: 3,
    classNames: ['a', 'b', 'c'],
  };
}

describe('splitValidation', () => {
  it('holds out exactly `holdout` images, disjoint from train, images travelling with labels', () => {
    const ds = toy(50);
    const { train, validation } = splitValidation(ds, 12, 7);
    expect(validation.count).toBe(12);
    expect(train.count).toBe(38);
    const id = (d: ImageDataset, k: number): number => d.images[k * 12] as number;
    const ids = (d: ImageDataset): number[] => Array.from({ length: d.count }, (_, k) => id(d, k));
    const all = [...ids(train), ...ids(validation)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const d of [train, validation]) {
      for (let k = 0; k < d.count; k++) expect(d.labels[k]).toBe(id(d, k) % 3);
      // Original relative order is kept.
      expect(ids(d)).toEqual([...ids(d)].sort((a, b) => a - b));
    }
    expect(validation.classNames).toEqual(['a', 'b', 'c']);
  });

  it('is reproducible from the seed and differs between seeds', () => {
    const ds = toy(100);
    const a = splitValidation(ds, 20, 'seed-1').validation.images;
    const b = splitValidation(ds, 20, 'seed-1').validation.images;
    const c = splitValidation(ds, 20, 'seed-2').validation.images;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('rejects a holdout that leaves no training data', () => {
    expect(() => splitValidation(toy(5), 5, 1)).toThrow(ConfigError);
    expect(() => splitValidation(toy(5), 1.5, 1)).toThrow(/integer from 0 to 4/);
  });
});

describe('channelStats / classCounts / selectImages', () => {
  it('computes per-channel mean and population std in [0, 1] units', () => {
    // Two 1x1 RGB pixels: R = 0 and 255, G = 51 and 51, B = 255 and 255.
    const ds: ImageDataset = {
      images: Uint8Array.from([0, 51, 255, 255, 51, 255]),
      labels: Uint8Array.from([0, 1]),
      count: 2,
      height: 1,
      width: 1,
      channels: 3,
      classNames: ['x', 'y'],
    };
    const { mean, std } = channelStats(ds);
    expect(mean[0]).toBeCloseTo(0.5, 12);
    expect(mean[1]).toBeCloseTo(0.2, 12);
    expect(mean[2]).toBeCloseTo(1, 12);
    expect(std[0]).toBeCloseTo(0.5, 12);
    expect(std[1]).toBeCloseTo(0, 12);
    expect(std[2]).toBeCloseTo(0, 12);
  });

  it('counts classes and selects images by index', () => {
    const ds = toy(7);
    expect(classCounts(ds)).toEqual([3, 2, 2]);
    const sub = selectImages(ds, [6, 0]);
    expect(Array.from(sub.labels)).toEqual([0, 0]);
    expect(sub.images[0]).toBe(6);
    expect(() => selectImages(ds, [7])).toThrow(RangeError);
  });
});
