import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import {
  bleuFromStats,
  bleuStats,
  closestRefLength,
  corpusBleu,
  corpusBleuMultiRef,
  nltkCorpusBleu,
  sentenceBleu,
} from './bleu.js';

const t = (s: string): string[] => s.split(' ').filter((w) => w !== '');

describe('corpus BLEU', () => {
  it('is 1 for identical corpora', () => {
    const corpus = [t('the cat is on the mat'), t('there is a cat on the mat today')];
    const r = corpusBleu(corpus, corpus);
    expect(r.bleu).toBe(1);
    expect(r.bleu100).toBe(100);
    expect(r.bp).toBe(1);
    expect(r.ratio).toBe(1);
    expect(r.precisions).toEqual([1, 1, 1, 1]);
    expect(r.hypLength).toBe(14);
  });

  it('is 0 without smoothing when no 4-gram matches, even with other matches', () => {
    // Some unigrams and bigrams match, no trigram or 4-gram does.
    const r = corpusBleu([t('a b x c d y e f')], [t('a b c d e f g h')]);
    expect(r.precisions[0]).toBeCloseTo(6 / 8, 12);
    expect(r.matches).toEqual([6, 3, 0, 0]);
    expect(r.bleu).toBe(0);
  });

  it('applies the brevity penalty exp(1 - r/c) to a short hypothesis', () => {
    // All n-grams of the 4-token hypothesis match; reference has 6 tokens.
    const r = corpusBleu([t('the cat is on')], [t('the cat is on the mat')]);
    expect(r.precisions).toEqual([1, 1, 1, 1]);
    expect(r.bp).toBeCloseTo(Math.exp(1 - 6 / 4), 14);
    expect(r.bleu).toBeCloseTo(0.6065306597126334, 14);
    expect(r.ratio).toBeCloseTo(4 / 6, 14);
  });

  it('clips repeated n-grams: "the the the the the the the" has unigram precision 2/7', () => {
    const hyp = t('the the the the the the the');
    const refs = [t('The cat is on the mat'.toLowerCase()), t('there is a cat on the mat')];
    const single = corpusBleu([hyp], [refs[0] as string[]]);
    expect(single.precisions[0]).toBeCloseTo(2 / 7, 14);
    expect(single.bleu).toBe(0); // no bigram "the the" in the reference
    // Papineni et al.'s example: clipped by the largest count in any single reference (2), not the sum.
    const multi = corpusBleuMultiRef([hyp], [refs]);
    expect(multi.matches[0]).toBe(2);
    expect(multi.precisions[0]).toBeCloseTo(2 / 7, 14);
  });

  it('sums n-gram statistics over the corpus instead of averaging sentence scores', () => {
    const hyps = [t('a b c d e f g h'), t('a b c d x')];
    const refs = [t('a b c d e f g h'), t('a b c d y')];
    const r = corpusBleu(hyps, refs);
    // Matches/totals: 1-grams (8+4)/(8+5), 2-grams (7+3)/(7+4), 3-grams (6+2)/(6+3), 4-grams (5+1)/(5+2).
    expect(r.matches).toEqual([12, 10, 8, 6]);
    expect(r.totals).toEqual([13, 11, 9, 7]);
    const byHand = Math.pow((12 / 13) * (10 / 11) * (8 / 9) * (6 / 7), 1 / 4);
    expect(r.bleu).toBeCloseTo(byHand, 14);
    expect(r.bleu).toBeCloseTo(0.8942, 4);
    // Sentence BLEUs are 1 and (4/5 * 3/4 * 2/3 * 1/2)^(1/4) = 0.2^(1/4): their mean is different.
    const s2 = sentenceBleu(hyps[1] as string[], [refs[1] as string[]]).bleu;
    expect(s2).toBeCloseTo(Math.pow(0.2, 0.25), 14);
    const meanOfSentences = (1 + s2) / 2;
    expect(meanOfSentences).toBeCloseTo(0.8344, 4);
    expect(Math.abs(r.bleu - meanOfSentences)).toBeGreaterThan(0.05);
  });

  it('computes the brevity penalty from corpus lengths, not per sentence', () => {
    // Sentence 1 is 2 tokens too long, sentence 2 is 2 tokens too short: c = r overall.
    const r = corpusBleu(
      [t('a b c d e f g h i j'), t('k l m n')],
      [t('a b c d e f g h'), t('k l m n o p')],
    );
    expect([r.hypLength, r.refLength]).toEqual([14, 14]);
    expect(r.bp).toBe(1);
    // The short sentence alone would be penalised.
    expect(sentenceBleu(t('k l m n'), [t('k l m n o p')]).bp).toBeCloseTo(Math.exp(-0.5), 14);
  });

  it('uses the reference length closest to the hypothesis, the shorter one on ties', () => {
    expect(closestRefLength(6, [10, 5])).toBe(5);
    expect(closestRefLength(5, [7, 3])).toBe(3);
    expect(closestRefLength(4, [4, 9])).toBe(4);
    const r = corpusBleuMultiRef([t('a b c d e')], [[t('a b c d e f g'), t('a b c')]]);
    expect(r.refLength).toBe(3);
    expect(r.bp).toBe(1);
  });

  it('smooths like sacreBLEU: floor, add-one (orders >= 2), exp', () => {
    // Matches/totals: 3/5, 2/4, 1/3, 0/2 (no 4-gram match), c = r = 5.
    const hyp = [t('a b c x y')];
    const ref = [t('a b c d e')];
    expect(corpusBleu(hyp, ref).bleu).toBe(0);
    const floor = corpusBleu(hyp, ref, { smoothing: 'floor' });
    expect(floor.precisions[3]).toBeCloseTo(0.1 / 2, 14);
    expect(floor.bleu).toBeCloseTo(Math.pow((3 / 5) * (2 / 4) * (1 / 3) * 0.05, 1 / 4), 14);
    const addOne = corpusBleu(hyp, ref, { smoothing: 'add-one' });
    expect(addOne.precisions).toEqual([3 / 5, 3 / 5, 2 / 4, 1 / 3]);
    expect(addOne.bleu).toBeCloseTo(Math.pow(0.06, 1 / 4), 14);
    const exp = corpusBleu(hyp, ref, { smoothing: 'exp' });
    expect(exp.precisions[3]).toBeCloseTo(1 / (2 * 2), 14);
    expect(exp.bleu).toBeCloseTo(Math.pow(0.025, 1 / 4), 14);
    // Nothing matches at all: 0 whatever the smoothing.
    expect(corpusBleu([t('x y z w')], [t('a b c d')], { smoothing: 'add-one' }).bleu).toBe(0);
  });

  it('scores a hypothesis shorter than 4 tokens as 0 unless effective order is used', () => {
    const r = sentenceBleu(t('a b'), [t('a b')]);
    expect(r.bleu).toBe(0);
    expect(sentenceBleu(t('a b'), [t('a b')], { effectiveOrder: true }).bleu).toBe(1);
  });

  it('accumulates statistics sentence by sentence to the same result', () => {
    const s1 = bleuStats(t('a b c d e f'), [t('a b c d e g')]);
    const s2 = bleuStats(t('x y z w'), [t('x y z q')]);
    const merged = {
      matches: s1.matches.map((m, i) => m + (s2.matches[i] as number)),
      totals: s1.totals.map((m, i) => m + (s2.totals[i] as number)),
      hypLength: s1.hypLength + s2.hypLength,
      refLength: s1.refLength + s2.refLength,
    };
    const direct = corpusBleu([t('a b c d e f'), t('x y z w')], [t('a b c d e g'), t('x y z q')]);
    expect(bleuFromStats(merged).bleu).toBe(direct.bleu);
  });

  it('matches NLTK 3.8 corpus_bleu on a small multi-reference corpus', () => {
    // Expected values printed by nltk.translate.bleu_score.corpus_bleu (no smoothing).
    const hyps = [
      'it is a guide to action which ensures that the military always obeys the commands of the party',
      'he read the book because he was interested in world history',
      'the cat sat on the mat near the door',
      'we must act now on climate change',
    ].map(t);
    const refs = [
      [
        'it is a guide to action that ensures that the military will forever heed party commands',
        'it is the guiding principle which guarantees the military forces always being under the command of the party',
        'it is the practical guide for the army always to heed the directions of the party',
      ],
      ['he was interested in world history because he read the book'],
      ['the cat is sitting on the mat by the door', 'a cat sat on the mat at the door'],
      ['we have to act on climate change now'],
    ].map((rs) => rs.map(t));
    expect(corpusBleuMultiRef(hyps, refs).bleu).toBeCloseTo(0.5289766438906076, 13);
    expect(
      corpusBleu(
        hyps,
        refs.map((rs) => rs[0] as string[]),
      ).bleu,
    ).toBeCloseTo(0.450437024820774, 13);
  });

  it('rejects misaligned inputs and an empty hypothesis gets BP 0', () => {
    expect(() => corpusBleu([t('a')], [])).toThrow(/1 hypotheses but 0 references/);
    expect(corpusBleu([[]], [t('a b c d')]).bleu).toBe(0);
  });
});

describe('nltkCorpusBleu', () => {
  interface Vector {
    readonly maxOrder: number;
    readonly hypotheses: string[][];
    readonly references: string[][][];
    readonly bleu: number;
  }
  const vectors = JSON.parse(
    readFileSync(new URL('./fixtures/nltk-bleu-vectors.json', import.meta.url), 'utf8'),
  ) as { nltk: string; cases: Vector[] };

  it('equals NLTK 3.8 corpus_bleu on 240 generated corpora (short hypotheses, unmatched orders)', () => {
    expect(vectors.nltk).toBe('3.8');
    for (const v of vectors.cases) {
      const got = nltkCorpusBleu(v.hypotheses, v.references, v.maxOrder).bleu;
      if (v.bleu === 0) expect(got).toBe(0);
      else expect(Math.abs(got - v.bleu) / v.bleu).toBeLessThan(1e-9);
    }
    // The vectors do exercise the differences from the sacreBLEU reading.
    const differs = vectors.cases.filter((v) => {
      const sacre = corpusBleuMultiRef(v.hypotheses, v.references, { maxOrder: v.maxOrder }).bleu;
      return v.bleu === 0 ? sacre !== 0 : Math.abs(sacre - v.bleu) / v.bleu > 1e-9;
    });
    expect(differs.length).toBeGreaterThan(150);
  });

  it('is tiny but positive when an order has no match, where corpusBleu is 0', () => {
    const hyp = [t('a b c d')];
    const refs = [[t('a b c x')]];
    expect(corpusBleuMultiRef(hyp, refs).bleu).toBe(0);
    const nltk = nltkCorpusBleu(hyp, refs).bleu;
    // exp((log 3/4 + log 2/3 + log 1/2 + log 2.2e-308) / 4)
    const expected = Math.exp(
      (Math.log(0.75 * (2 / 3) * 0.5) + Math.log(2.2250738585072014e-308)) / 4,
    );
    expect(Math.abs(nltk - expected) / expected).toBeLessThan(1e-12);
    expect(nltk).toBeGreaterThan(0);
  });
});
