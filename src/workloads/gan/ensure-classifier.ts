import type { Cifar10 } from '../datasets/index.js';
import { ensureCachedFile } from './cached-file.js';
import {
  defaultClassifierPath,
  disposeClassifier,
  encodeScoreClassifier,
  loadScoreClassifier,
  trainScoreClassifier,
  type ScoreClassifier,
} from './score-classifier.js';

export interface EnsureClassifierOptions {
  /** Cache file; default `defaultClassifierPath(steps)`. */
  readonly path?: string | undefined;
  /** Training steps (batch 64) when the cache file is missing. */
  readonly steps: number;
  readonly log: (message: string) => void;
  /** Polling interval while another process trains it (default 1 s; tests use less). */
  readonly pollMs?: number;
}

/**
 * The cached score classifier, trained once (and its test accuracy printed) when the cache file
 * is missing. Workers starting at once do not race: one trains it under `<file>.lock`, the others
 * wait for the file (see cached-file.ts).
 */
export async function ensureScoreClassifier(
  data: () => Promise<Cifar10>,
  o: EnsureClassifierOptions,
): Promise<ScoreClassifier> {
  const file = o.path ?? defaultClassifierPath(o.steps);
  await ensureCachedFile(
    file,
    async () => {
      o.log(
        `score classifier ${file} missing: training it (${o.steps} steps of 64 CIFAR-10 images)`,
      );
      const { train, test } = await data();
      const c = await trainScoreClassifier(train, test, { steps: o.steps, log: o.log });
      o.log(
        `score classifier test accuracy ${(c.testAccuracy * 100).toFixed(2)} % on ${test.count} test images`,
      );
      try {
        return await encodeScoreClassifier(c);
      } finally {
        disposeClassifier(c);
      }
    },
    { log: o.log, ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }) },
  );
  const c = await loadScoreClassifier(file);
  o.log(
    `score classifier ${file}: ${c.trainSteps} steps, test accuracy ${(c.testAccuracy * 100).toFixed(1)} %`,
  );
  return c;
}
