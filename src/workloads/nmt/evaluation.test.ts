import { describe, expect, it } from 'vitest';
import { UNK_ID, Vocabulary } from '../datasets/vocabulary.js';
import { bleuTokens, scoreTranslations, UNMATCHABLE_UNK } from './evaluation.js';
import { prepareNmtData, type RawNmtSplits } from './nmt-data.js';

// 'the cat sat on the mat .' seen 5 times: every word is in the vocabulary except rare ones.
const common = ['the', 'cat', 'sat', 'on', 'the', 'mat', '.'];
const vocab = Vocabulary.build(Array.from({ length: 5 }, () => common));
const ids = (words: readonly string[]): number[] => words.map((w) => vocab.id(w));

describe('nmt BLEU of translations', () => {
  it('never lets an <UNK> of a hypothesis match, even a literal "<UNK>" in a reference', () => {
    expect(bleuTokens([vocab.id('the'), UNK_ID], vocab)).toEqual(['the', UNMATCHABLE_UNK]);
    // Four <UNK>s against a reference made of out-of-vocabulary words (and the text <UNK>).
    const hyp = [[UNK_ID, UNK_ID, UNK_ID, UNK_ID]];
    expect(scoreTranslations(hyp, [['zebra', 'quokka', 'okapi', 'tapir']], vocab).bleu.bleu).toBe(
      0,
    );
    const literal = scoreTranslations(hyp, [['<UNK>', '<UNK>', '<UNK>', '<UNK>']], vocab);
    expect(literal.bleu.matches).toEqual([0, 0, 0, 0]);
    expect(literal.score).toBe(0);
  });

  it('scores against the original reference words, not their vocabulary mapping', () => {
    // "the zebra sat on the mat ." — zebra is out of vocabulary; the model can only say <UNK>.
    const reference = ['the', 'zebra', 'sat', 'on', 'the', 'mat', '.'];
    const translation = ids(reference);
    expect(translation[1]).toBe(UNK_ID);
    const r = scoreTranslations([translation], [reference], vocab);
    // 6 of 7 unigrams, 4 of 6 bigrams, 3 of 5 trigrams and 2 of 4 4-grams match, not all.
    expect(r.bleu.matches).toEqual([6, 4, 3, 2]);
    expect(r.bleu.bleu).toBeLessThan(1);
    expect(scoreTranslations([ids(common)], [common], vocab).bleu.bleu).toBe(1);
  });

  it('keeps the reported BLEU unsmoothed whatever the score smoothing', () => {
    // Unigram and bigram matches, no 4-gram: unsmoothed BLEU is 0, smoothed is not.
    const translation = ids(['the', 'cat', 'on', 'mat']);
    const reference = ['the', 'cat', 'sat', 'on', 'the', 'mat', '.'];
    const plain = scoreTranslations([translation], [reference], vocab, 'none');
    const smoothed = scoreTranslations([translation], [reference], vocab, 'exp');
    expect(plain.bleu.bleu).toBe(0);
    expect(plain.score).toBe(0);
    expect(smoothed.bleu.bleu).toBe(0);
    expect(smoothed.bleu.bleu100).toBe(0);
    expect(smoothed.score).toBeGreaterThan(0);
  });
});

describe('nmt evaluation pairs', () => {
  const train = {
    source: [
      ['(', 'applause', ')'],
      ['the', 'debate', 'is', 'closed', '.'],
      ['we', 'agree', '.'],
      ['we', 'agree', '.'],
      ['we', 'agree', '.'],
      ['we', 'agree', '.'],
      ['we', 'agree', '.'],
    ],
    target: [
      ['(', 'beifall', ')'],
      ['die', 'aussprache', 'ist', 'geschlossen', '.'],
      ['wir', 'stimmen', 'zu', '.'],
      ['wir', 'stimmen', 'zu', '.'],
      ['wir', 'stimmen', 'zu', '.'],
      ['wir', 'stimmen', 'zu', '.'],
      ['wir', 'stimmen', 'zu', '.'],
    ],
  };
  const valid = {
    source: [
      ['(', 'applause', ')'],
      ['we', 'disagree', 'strongly', '.'],
      ['the', 'debate', 'is', 'closed', '.'],
      ['we', 'disagree', 'strongly', '.'],
      ['a', 'very', 'long', 'sentence', 'that', 'does', 'not', 'fit', '.'],
      ['we', 'responded', '.'],
    ],
    target: [
      ['(', 'beifall', ')'],
      ['wir', 'widersprechen', 'entschieden', '.'],
      ['die', 'aussprache', 'ist', 'geschlossen', '.'],
      ['wir', 'widersprechen', 'entschieden', '.'],
      ['ein', 'sehr', 'langer', 'satz', '.'],
      ['wir', 'haben', 'geantwortet', '.'],
    ],
  };
  const raw: RawNmtSplits = { train, valid };
  const base = { maxLength: 6, trainSentences: 0, vocabSize: 100, minCount: 1, evalSentences: 0 };

  it('drops stock phrases seen in training and repeated sources, keeps the original words', () => {
    const data = prepareNmtData(raw, base);
    expect(data.valid.sourceTokens.map((s) => s.join(' '))).toEqual([
      'we disagree strongly .',
      'we responded .',
    ]);
    expect(data.valid.dropped).toEqual({ tooLong: 1, empty: 0, seenInTrain: 2, duplicate: 1 });
    // References stay words, including those the target vocabulary does not know.
    expect(data.targetVocab.has('widersprechen')).toBe(false);
    expect(data.valid.references[0]).toEqual(['wir', 'widersprechen', 'entschieden', '.']);
    // evalSentences counts kept pairs.
    expect(prepareNmtData(raw, { ...base, evalSentences: 1 }).valid.references).toHaveLength(1);
  });

  it('keeps every pair that fits with evalUnseen false', () => {
    const data = prepareNmtData(raw, { ...base, evalUnseen: false });
    expect(data.valid.sources).toHaveLength(5);
    expect(data.valid.dropped.seenInTrain).toBe(0);
  });
});
