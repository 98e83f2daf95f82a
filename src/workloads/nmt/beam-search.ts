import * as tf from '@tensorflow/tfjs';
import { BOS_ID, EOS_ID } from '../datasets/vocabulary.js';
import { decoderStep, disposeEncoded, encodeSources, type Encoded, type Seq2Seq } from './model.js';

export interface BeamOptions {
  /** Hypotheses kept per sentence; 1 is greedy decoding. */
  readonly beam: number;
  /** Longest translation in tokens (without <EOS>). */
  readonly maxLength: number;
  /**
   * α of the length normalisation score = log p / ((5 + |y|) / 6)^α (Wu et al. 2016, GNMT);
   * 0 ranks by plain log-probability, which favours short translations.
   */
  readonly lengthPenalty: number;
}

export interface Hypothesis {
  /** Token ids without <EOS>. */
  readonly ids: number[];
  /** Sum of the log-probabilities of the tokens, and of <EOS> when `finished`. */
  readonly logProb: number;
  /** `logProb` after length normalisation: what the beam search maximises at the end. */
  readonly score: number;
  /** Ended with <EOS> (otherwise cut at maxLength). */
  readonly finished: boolean;
}

/** The GNMT length-normalised score; `length` counts <EOS> for finished hypotheses. */
export function normalisedScore(logProb: number, length: number, alpha: number): number {
  return alpha === 0 ? logProb : logProb / ((5 + length) / 6) ** alpha;
}

interface Live {
  readonly ids: number[];
  readonly logProb: number;
  /** Row of the decoder batch that holds this hypothesis's state. */
  readonly row: number;
}

interface Candidate {
  readonly parent: Live;
  readonly token: number;
  readonly logProb: number;
}

/**
 * Beam search over a batch of sources (id rows with their <EOS>). Each sentence keeps `beam`
 * rows of the decoder batch; at each step the `beam` best one-token extensions of its live
 * hypotheses (by log-probability) are kept, those ending in <EOS> leave the beam as finished,
 * and the sentence stops when no live hypothesis is left, `beam` have finished or maxLength is
 * reached. The best finished hypothesis by normalised score wins. With beam 1 every step takes
 * the most likely token: exactly greedy decoding.
 */
export function beamDecode(
  model: Seq2Seq,
  sources: readonly (readonly number[])[],
  options: BeamOptions,
): Hypothesis[] {
  const { beam: k, maxLength, lengthPenalty: alpha } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`beam must be >= 1, got ${k}`);
  const batch = sources.length;
  const empty = (): Hypothesis => ({ ids: [], logProb: 0, score: 0, finished: false });
  if (batch === 0 || maxLength <= 0) return sources.map(empty);
  const vocab = model.shape.targetVocab;
  const rows = batch * k;
  const finished: Hypothesis[][] = sources.map(() => []);
  let live: Live[][] = sources.map((_, b) => [{ ids: [], logProb: 0, row: b * k }]);

  const encoded = encodeSources(model, sources);
  // Every sentence's encoding repeated for its k rows.
  const tile = tf.tensor1d(
    Int32Array.from({ length: rows }, (_, r) => Math.floor(r / k)),
    'int32',
  );
  const tiled: Encoded = tf.tidy(() => ({
    outputs: tf.gather(encoded.outputs, tile),
    state: tf.gather(encoded.state, tile),
    maskBias: tf.gather(encoded.maskBias, tile),
  }));
  tile.dispose();
  disposeEncoded(encoded);
  let h: tf.Tensor2D = tiled.state;
  let previous = new Int32Array(rows).fill(BOS_ID);
  try {
    for (let step = 0; step < maxLength && live.some((l) => l.length > 0); step++) {
      const [state, logProbs] = tf.tidy((): [tf.Tensor2D, tf.Tensor2D] => {
        const out = decoderStep(model, previous, h, tiled);
        return [out.state, tf.logSoftmax(out.logits)];
      });
      const lp = logProbs.dataSync();
      logProbs.dispose();
      const parents = Int32Array.from({ length: rows }, (_, r) => r);
      const nextPrevious = new Int32Array(rows).fill(EOS_ID);
      const last = step === maxLength - 1;
      live = live.map((hyps, b) => {
        if (hyps.length === 0) return hyps;
        const best = topCandidates(hyps, lp, vocab, k);
        const next: Live[] = [];
        for (const c of best) {
          if (c.token === EOS_ID) {
            const length = c.parent.ids.length + 1;
            (finished[b] as Hypothesis[]).push({
              ids: c.parent.ids,
              logProb: c.logProb,
              score: normalisedScore(c.logProb, length, alpha),
              finished: true,
            });
            continue;
          }
          const row = b * k + next.length;
          parents[row] = c.parent.row;
          nextPrevious[row] = c.token;
          next.push({ ids: [...c.parent.ids, c.token], logProb: c.logProb, row });
        }
        const done = finished[b] as Hypothesis[];
        if (last || done.length >= k) {
          // Cut at maxLength (or enough finished): the live ones compete unfinished.
          if (last) {
            for (const l of next) {
              done.push({
                ids: l.ids,
                logProb: l.logProb,
                score: normalisedScore(l.logProb, l.ids.length, alpha),
                finished: false,
              });
            }
          }
          return [];
        }
        return next;
      });
      const reordered = tf.tidy(() => tf.gather<tf.Tensor2D>(state, tf.tensor1d(parents, 'int32')));
      state.dispose();
      if (h !== tiled.state) h.dispose();
      h = reordered;
      previous = nextPrevious;
    }
  } finally {
    if (h !== tiled.state) h.dispose();
    disposeEncoded(tiled);
  }
  return finished.map((done) => {
    let best: Hypothesis | undefined;
    for (const hyp of done) if (best === undefined || hyp.score > best.score) best = hyp;
    return best ?? empty();
  });
}

/**
 * The k best (hypothesis, next token) pairs by log-probability, best first; ties keep the
 * earlier hypothesis and the lower token id (as argMax does, so beam 1 is greedy).
 */
function topCandidates(
  hyps: readonly Live[],
  logProbs: Float32Array | Int32Array | Uint8Array,
  vocab: number,
  k: number,
): Candidate[] {
  const top: Candidate[] = [];
  for (const hyp of hyps) {
    const base = hyp.row * vocab;
    for (let v = 0; v < vocab; v++) {
      const score = hyp.logProb + (logProbs[base + v] as number);
      if (top.length === k && score <= (top[k - 1] as Candidate).logProb) continue;
      let i = top.length;
      while (i > 0 && (top[i - 1] as Candidate).logProb < score) i--;
      top.splice(i, 0, { parent: hyp, token: v, logProb: score });
      if (top.length > k) top.pop();
    }
  }
  return top;
}
