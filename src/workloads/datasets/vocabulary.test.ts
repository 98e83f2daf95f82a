import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../engine/core/errors.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocabulary, padTo } from './vocabulary.js';

const corpus = (): string[][] => [
  ...Array.from({ length: 6 }, () => ['the', 'cat']),
  ...Array.from({ length: 5 }, () => ['a', 'dog']),
  ['rare', 'the', 'a'],
];

describe('Vocabulary', () => {
  it('puts <PAD> <BOS> <EOS> <UNK> first and keeps words seen at least minCount (5) times', () => {
    const v = Vocabulary.build(corpus());
    expect(v.tokens.slice(0, 4)).toEqual(['<PAD>', '<BOS>', '<EOS>', '<UNK>']);
    expect([PAD_ID, BOS_ID, EOS_ID, UNK_ID]).toEqual([0, 1, 2, 3]);
    // the: 7, a: 6, cat: 6, dog: 5; rare: 1 → <UNK>. Ties in code-point order.
    expect(v.tokens.slice(4)).toEqual(['the', 'a', 'cat', 'dog']);
    expect(v.id('rare')).toBe(UNK_ID);
    expect(v.has('rare')).toBe(false);
  });

  it('does not depend on input order, honours minCount and maxSize', () => {
    const a = Vocabulary.build(corpus());
    const b = Vocabulary.build([...corpus()].reverse());
    expect(a.tokens).toEqual(b.tokens);
    expect(Vocabulary.build(corpus(), { minCount: 1 }).has('rare')).toBe(true);
    expect(Vocabulary.build(corpus(), { maxSize: 6 }).tokens.slice(4)).toEqual(['the', 'a']);
    expect(() => Vocabulary.build(corpus(), { maxSize: 4 })).toThrow(ConfigError);
    expect(() => Vocabulary.build(corpus(), { minCount: 0 })).toThrow(ConfigError);
  });

  it('encodes with EOS (and optional BOS), trims to maxLength words, decodes back', () => {
    const v = Vocabulary.build(corpus());
    const ids = v.encode(['the', 'rare', 'dog']);
    expect(ids).toEqual([v.id('the'), UNK_ID, v.id('dog'), EOS_ID]);
    expect(v.encode(['the', 'cat', 'a'], { bos: true, maxLength: 2 })).toEqual([
      BOS_ID,
      v.id('the'),
      v.id('cat'),
      EOS_ID,
    ]);
    expect(v.encode(Array.from({ length: 50 }, () => 'a'))).toHaveLength(41);
    expect(v.decode([BOS_ID, v.id('the'), UNK_ID, EOS_ID, v.id('cat'), PAD_ID])).toEqual([
      'the',
      '<UNK>',
    ]);
    expect(v.decode([BOS_ID, EOS_ID], { keepSpecials: true })).toEqual(['<BOS>', '<EOS>']);
  });

  it('round-trips through JSON and rejects a token list without the specials first', () => {
    const v = Vocabulary.build(corpus());
    const copy = Vocabulary.fromTokens(v.toJSON().tokens);
    expect(copy.tokens).toEqual(v.tokens);
    expect(() => Vocabulary.fromTokens(['the', '<PAD>'])).toThrow(/token 0 must be <PAD>/);
  });

  it('reports the share of unknown tokens', () => {
    const v = Vocabulary.build(corpus());
    expect(v.unknownRate([['the', 'rare', 'zebra', 'cat']])).toBe(0.5);
  });

  it('padTo cuts or pads to an exact length', () => {
    expect(padTo([5, 6, 7], 5)).toEqual([5, 6, 7, 0, 0]);
    expect(padTo([5, 6, 7], 2)).toEqual([5, 6]);
    expect(padTo([], 40)).toHaveLength(40);
  });
});
