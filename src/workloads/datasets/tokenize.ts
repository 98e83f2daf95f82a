/**
 * Word tokenizer for raw English/German text (WMT held-out sets, Multi30k) that reproduces the
 * tokenization of the Europarl training files, so that their vocabulary applies. Rules (each
 * checked against the training files):
 *
 * - Whitespace (including no-break and other Unicode spaces) separates tokens; soft hyphens
 *   and zero-width characters are removed; text is NFC-normalised.
 * - With `normalizePunctuation` (default): typographic double quotes (“ ” „ « ») become `"`,
 *   single quotes and accents used as apostrophes (‘ ’ ‚ ` ´) become `'`, en/em dashes become
 *   `-`, and `…` becomes `...` — the training files use only the ASCII forms.
 * - These always stand alone: `? ! ; ( ) [ ] { } " % / + & $ £ € # @ * = < > | ~ ^ \`.
 * - Apostrophes stand alone: `Commission's` → `Commission ' s`, `don't` → `don ' t`,
 *   `citizens'` → `citizens '` (the majority form in the training files).
 * - Commas and colons stand alone, except between digits: `400,000`, `0,5`, `12:30` stay whole.
 * - Hyphens stay inside words (`long-term`, `2000-2006`, German `Wirtschafts-`); a run of
 *   dashes on its own is a token.
 * - Periods inside a token stay (`p.m.`, `12.00`, `dot.com`). A final period is split off
 *   (`session .`) unless the token is an abbreviation: it contains an inner period (`e.g.`,
 *   `z.B.`), is in the language's list (en: Mr, Dr, St ...; de: Nr, bzw, usw, Mio ...), is a
 *   numeric-only abbreviation before a number (`No. 5`), is a single letter not at the end of
 *   the sentence (`E. coli`, `z. B.`), is a German ordinal of one or two digits (`17. Dezember`),
 *   or is followed by a word starting in lower case. Runs of two or more periods (`...`) are
 *   a token of their own.
 * - `lowercase` (default false) lower-cases every token after tokenizing.
 */

export interface TokenizeOptions {
  /** 'en' or 'de' select the abbreviation lists; other values use the English ones. */
  readonly lang?: string;
  readonly lowercase?: boolean;
  readonly normalizePunctuation?: boolean;
}

const ALWAYS_ALONE = new Set('?!;()[]{}"%/+&$£€#@*=<>|~^\\\''.split(''));

const ABBREVIATIONS: Readonly<Record<'en' | 'de', ReadonlySet<string>>> = {
  en: new Set([
    'Mr',
    'Mrs',
    'Ms',
    'Messrs',
    'Dr',
    'Prof',
    'St',
    'Jr',
    'Sr',
    'Mt',
    'Rev',
    'Hon',
    'Gen',
    'Col',
    'Lt',
    'Capt',
    'Sgt',
    'Gov',
    'vs',
    'cf',
    'approx',
    'Inc',
    'Ltd',
    'Corp',
    'Bros',
  ]),
  de: new Set([
    'Nr',
    'bzw',
    'usw',
    'Mio',
    'Mrd',
    'ca',
    'vgl',
    'etc',
    'Art',
    'Abs',
    'Dr',
    'Prof',
    'St',
    'Hr',
    'ggf',
    'sog',
    'evtl',
    'inkl',
    'bspw',
    'ff',
    'Jh',
    'Ziff',
    'Kap',
    'Bd',
    'gem',
    'lt',
    'zit',
    'Tel',
    'Str',
    'Fa',
    'vs',
  ]),
};

/** Abbreviations that keep their period only before a number (`No. 5`, `Art. 3`). */
const NUMERIC_ONLY: Readonly<Record<'en' | 'de', ReadonlySet<string>>> = {
  en: new Set(['No', 'Nos', 'no', 'Art', 'pp', 'p', 'para', 'paras', 'Vol', 'vol', 'Fig', 'fig']),
  de: new Set(['S', 'Nr']),
};

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

function normalize(text: string, punctuation: boolean): string {
  let t = text.normalize('NFC').replace(/[\u00AD\u200B-\u200D\u2060\uFEFF]/g, '');
  if (punctuation) {
    t = t
      .replace(/[\u201C\u201D\u201E\u201F\u00AB\u00BB\u2033]/g, '"')
      .replace(/[\u2018\u2019\u201A\u201B\u0060\u00B4\u2032]/g, "'")
      .replace(/[\u2013\u2014\u2015\u2212]/g, '-')
      .replace(/\u2026/g, '...');
  }
  return t;
}

/** Split one whitespace-free chunk at punctuation (periods are handled later, with context). */
function splitChunk(chunk: string, out: string[]): void {
  if (/^-+$/.test(chunk)) {
    out.push(chunk);
    return;
  }
  const chars = Array.from(chunk);
  let cur = '';
  const flush = (): void => {
    if (cur !== '') out.push(cur);
    cur = '';
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ALWAYS_ALONE.has(ch)) {
      flush();
      out.push(ch);
    } else if (ch === ',' || ch === ':') {
      if (isDigit(chars[i - 1]) && isDigit(chars[i + 1]) && cur !== '') cur += ch;
      else {
        flush();
        out.push(ch);
      }
    } else {
      cur += ch;
    }
  }
  flush();
}

/** Separate runs of 2+ periods (`...`) from the words they touch. */
function splitEllipses(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    if (!token.includes('..')) out.push(token);
    else for (const part of token.split(/(\.{2,})/)) if (part !== '') out.push(part);
  }
  return out;
}

function keepsPeriod(body: string, next: string | undefined, lang: string): boolean {
  if (body === '') return false;
  if (body.includes('.') && /\p{L}/u.test(body)) return true;
  const language = lang === 'de' ? 'de' : 'en';
  if (ABBREVIATIONS[language].has(body)) return true;
  if (NUMERIC_ONLY[language].has(body) && isDigit(next?.[0])) return true;
  if (lang === 'de' && /^\d{1,2}$/.test(body)) return true;
  if (next === undefined) return false;
  if (/^\p{L}$/u.test(body)) return true;
  return /^\p{Ll}/u.test(next);
}

export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const lang = options.lang ?? 'en';
  const normalized = normalize(text, options.normalizePunctuation ?? true);
  const pieces: string[] = [];
  for (const chunk of normalized.split(/\s+/u)) if (chunk !== '') splitChunk(chunk, pieces);
  const tokens = splitEllipses(pieces);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length > 1 && token.endsWith('.') && !token.endsWith('..')) {
      const body = token.slice(0, -1);
      if (!keepsPeriod(body, tokens[i + 1], lang)) {
        out.push(body, '.');
        continue;
      }
    }
    out.push(token);
  }
  return options.lowercase === true ? out.map((t) => t.toLowerCase()) : out;
}

/** Split already-tokenized text (the Europarl training files) on whitespace. */
export function splitTokens(line: string, options: { lowercase?: boolean } = {}): string[] {
  const tokens = line.split(/\s+/u).filter((t) => t !== '');
  return options.lowercase === true ? tokens.map((t) => t.toLowerCase()) : tokens;
}
