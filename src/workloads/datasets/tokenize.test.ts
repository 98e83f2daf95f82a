import { describe, expect, it } from 'vitest';

import { splitTokens, tokenize } from './tokenize.js';

const tok = (text: string, lang = 'en'): string => tokenize(text, { lang }).join(' ');

describe('tokenize (Europarl conventions)', () => {
  it('separates sentence punctuation and keeps already-tokenized text unchanged', () => {
    expect(tok('Two young, White males are outside near many bushes.')).toBe(
      'Two young , White males are outside near many bushes .',
    );
    const pre = "Please rise , then , for this minute ' s silence .";
    expect(tok(pre)).toBe(pre);
    expect(tok('Why? Because (in part) it is 50% "new"!')).toBe(
      'Why ? Because ( in part ) it is 50 % " new " !',
    );
  });

  it('splits apostrophes off as their own token', () => {
    expect(tok("The Commission's view")).toBe("The Commission ' s view");
    expect(tok("We don't know")).toBe("We don ' t know");
    expect(tok("the citizens' money")).toBe("the citizens ' money");
  });

  it('keeps numbers with inner commas, periods and colons, splits other commas', () => {
    expect(tok('400,000 birds, 0.5 % and 12.00 at 12:30.')).toBe(
      '400,000 birds , 0.5 % and 12.00 at 12:30 .',
    );
    expect(tok('0,5 Prozent, 1.000 Tonnen.', 'de')).toBe('0,5 Prozent , 1.000 Tonnen .');
    expect(tok('in 1999, 2000 and 2001.')).toBe('in 1999 , 2000 and 2001 .');
  });

  it('keeps hyphens inside words and dashes as tokens', () => {
    expect(tok('A long-term, cross-border plan for 2000-2006 - really.')).toBe(
      'A long-term , cross-border plan for 2000-2006 - really .',
    );
    expect(tok('Wirtschafts- und Sozialausschuss', 'de')).toBe('Wirtschafts- und Sozialausschuss');
  });

  it('keeps the period of abbreviations, splits it at the end of a sentence', () => {
    expect(tok('Mr. Smith arrived at 3 p.m. today, e.g. now.')).toBe(
      'Mr. Smith arrived at 3 p.m. today , e.g. now .',
    );
    expect(tok('See amendment No. 5 and the end.')).toBe('See amendment No. 5 and the end .');
    expect(tok('We say No. Then we leave.')).toBe('We say No . Then we leave .');
    expect(tok('It ends at 5 p.m.')).toBe('It ends at 5 p.m.');
    expect(tok('houses, gardens etc.')).toBe('houses , gardens etc .');
  });

  it('handles German ordinals and abbreviations', () => {
    expect(tok('Am 17. Dezember, z. B. heute, bzw. morgen usw.', 'de')).toBe(
      'Am 17. Dezember , z. B. heute , bzw. morgen usw.',
    );
    expect(tok('Das war 1998. Danach kam Artikel 37.', 'de')).toBe(
      'Das war 1998 . Danach kam Artikel 37.',
    );
  });

  it('normalises typographic quotes, dashes and ellipses to the ASCII forms of the training data', () => {
    expect(tok('„Ja“ – sagte er…', 'de')).toBe('" Ja " - sagte er ...');
    expect(tok('It’s “fine”')).toBe('It \' s " fine "');
    expect(tokenize('It’s', { normalizePunctuation: false })).toEqual(['It’s']);
    expect(tok('Wait...what')).toBe('Wait ... what');
  });

  it('removes soft hyphens and treats no-break spaces as spaces', () => {
    expect(tok('Kommis\u00ADsion\u00A0heute', 'de')).toBe('Kommission heute');
  });

  it('lowercases on request', () => {
    expect(tokenize('Die EU.', { lang: 'de', lowercase: true })).toEqual(['die', 'eu', '.']);
    expect(splitTokens('  Die  EU . ', { lowercase: true })).toEqual(['die', 'eu', '.']);
  });
});
