import { createRng } from '../../engine/core/rng.js';
import type { ImageDataset } from '../datasets/index.js';
import type { TaskContext } from '../../engine/tasks/task.js';
import { makeSplits, type ImageSplits } from './image-data.js';

/**
 * Test-only: a tiny separable image problem. Image of class c (of `classes`) is noise with a
 * bright patch in stripe c, so a small MLP learns it in a few dozen steps.
 */
export function syntheticImages(
  count: number,
  seed: string,
  { side = 6, channels = 1, classes = 3 } = {},
): ImageDataset {
  const rng = createRng('synthetic-images', seed);
  const size = side * side * channels;
  const images = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = rng.int(classes);
    labels[i] = label;
    for (let y = 0; y < side; y++) {
      const bright = Math.floor((y * classes) / side) === label;
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < channels; c++) {
          const base = bright ? 150 : 40;
          images[i * size + (y * side + x) * channels + c] = base + rng.int(100);
        }
      }
    }
  }
  return {
    images,
    labels,
    count,
    height: side,
    width: side,
    channels,
    classNames: Array.from({ length: classes }, (_, c) => `class-${c}`),
  };
}

export function syntheticSplits(
  options: { channels?: number; testExamples?: number } = {},
): ImageSplits {
  const shape = { channels: options.channels ?? 1 };
  return makeSplits(syntheticImages(400, 'train', shape), syntheticImages(120, 'test', shape), {
    validation: 100,
    testExamples: options.testExamples ?? 60,
    splitSeed: 0,
  });
}

export function testContext(memberId = 0, seed = 1, step = 0): TaskContext {
  return {
    experimentId: 'test',
    memberId,
    seed,
    rng: createRng('test-context', seed),
    step,
    log: () => undefined,
  };
}
