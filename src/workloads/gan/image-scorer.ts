import type * as tf from '@tensorflow/tfjs';
import { classify, disposeClassifier, type ScoreClassifier } from './score-classifier.js';

/**
 * The network behind the GAN's score: p(y|x) for the Inception-Score formula and features for
 * the Fréchet distance. Either our own CIFAR-10 classifier ("classifier score") or a local
 * TF.js model the user points at (`scoreModel`; "Inception Score" only for Inception).
 */
export interface ImageScorer {
  /** What the score is called in logs and docs, e.g. 'classifier score', 'Inception Score'. */
  readonly name: string;
  /** The metric key holding it (besides `score`): 'classifierScore', 'inceptionScore', ... */
  readonly metric: string;
  readonly classes: number;
  readonly featureDim: number;
  /** Probabilities [n·classes] and features [n·featureDim] of images in [-1, 1]. */
  classify(images: tf.Tensor4D): { probs: Float32Array; features: Float32Array };
  dispose(): void;
}

export function classifierScorer(c: ScoreClassifier): ImageScorer {
  return {
    name: 'classifier score',
    metric: 'classifierScore',
    classes: c.shape.classes,
    featureDim: c.shape.features,
    classify: (images) => classify(c, images),
    dispose: () => disposeClassifier(c),
  };
}
