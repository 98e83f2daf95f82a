import { existsSync } from 'node:fs';
import type { Cifar10 } from '../../data/index.js';
import {
  defaultClassifierPath,
  loadScoreClassifier,
  saveScoreClassifier,
  trainScoreClassifier,
  type ScoreClassifier,
} from './score-classifier.js';

export interface EnsureClassifierOptions {
  /** Cache file; default `defaultClassifierPath(steps)`. */
  readonly path?: string | undefined;
  /** Training steps (batch 64) when the cache file is missing. */
  readonly steps: number;
  readonly log: (message: string) => void;
}

/**
 * The cached score classifier, trained once (and its test accuracy printed) when the cache file
 * is missing. Several workers starting at once would each train it: run `experiments/gan.ts
 * classifier` first (the experiment script does).
 */
export async function ensureScoreClassifier(
  data: () => Promise<Cifar10>,
  o: EnsureClassifierOptions,
): Promise<ScoreClassifier> {
  const file = o.path ?? defaultClassifierPath(o.steps);
  if (existsSync(file)) {
    const c = await loadScoreClassifier(file);
    o.log(
      `score classifier ${file}: ${c.trainSteps} steps, test accuracy ${(c.testAccuracy * 100).toFixed(1)} %`,
    );
    return c;
  }
  o.log(`score classifier ${file} missing: training it (${o.steps} steps of 64 CIFAR-10 images)`);
  const { train, test } = await data();
  const c = await trainScoreClassifier(train, test, { steps: o.steps, log: o.log });
  o.log(
    `score classifier test accuracy ${(c.testAccuracy * 100).toFixed(2)} % on ${test.count} test images`,
  );
  await saveScoreClassifier(c, file);
  return c;
}
