import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ConfigError } from '../../engine/core/errors.js';
import { DatasetFormatError } from './errors.js';
import { locateDataset, type LocateOptions, type LocatedDataset } from './locate.js';
import { splitTokens, tokenize } from './tokenize.js';

export interface ParallelText {
  /** Line i of `source` translates line i of `target`. */
  readonly source: string[];
  readonly target: string[];
  readonly sourceFile: string;
  readonly targetFile: string;
}

/** 1-based number of the first line that is not valid UTF-8. */
function firstInvalidLine(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; ; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    if (end === -1) return line;
    start = end + 1;
  }
}

/** Split decoded text into lines: `\n` or `\r\n`; a final newline does not start another line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** A UTF-8 text file as lines (strict decoding; a leading byte-order mark is dropped). */
export async function readTextLines(file: string): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DatasetFormatError(file, `cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let text: string;
  try {
    // ignoreBOM: false (the default) strips a leading BOM.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new DatasetFormatError(
      file,
      `is not valid UTF-8 (first bad byte on line ${firstInvalidLine(bytes)}); convert it to UTF-8 first`,
      { cause: error },
    );
  }
  return splitLines(text);
}

/** Two aligned UTF-8 files: same number of lines, neither empty. */
export async function loadParallelText(
  sourceFile: string,
  targetFile: string,
): Promise<ParallelText> {
  const [source, target] = await Promise.all([
    readTextLines(sourceFile),
    readTextLines(targetFile),
  ]);
  for (const [file, lines] of [
    [sourceFile, source],
    [targetFile, target],
  ] as const) {
    if (lines.length === 0) throw new DatasetFormatError(file, 'is empty (0 lines)');
    if (lines.every((l) => l.trim() === '')) {
      throw new DatasetFormatError(file, `has ${lines.length} lines, all blank`);
    }
  }
  if (source.length !== target.length) {
    throw new DatasetFormatError(
      `${sourceFile} / ${targetFile}`,
      `not aligned: ${sourceFile} has ${source.length} lines but ${targetFile} has ${target.length}; ` +
        'line N of one must translate line N of the other',
    );
  }
  return { source, target, sourceFile, targetFile };
}

export type TranslationCorpus = 'europarl-de-en' | 'multi30k';
export type Language = 'en' | 'de';

/** Splits and whether their files are already tokenized (only the Europarl train/valid are). */
export const TRANSLATION_SPLITS: Readonly<
  Record<TranslationCorpus, Readonly<Record<string, { path: string; tokenized: boolean }>>>
> = {
  'europarl-de-en': {
    train: { path: 'train', tokenized: true },
    valid: { path: 'valid', tokenized: true },
    devtest2006: { path: 'wmt-europarl-heldout/devtest2006', tokenized: false },
    test2006: { path: 'wmt-europarl-heldout/test2006', tokenized: false },
    test2007: { path: 'wmt-europarl-heldout/test2007', tokenized: false },
    test2008: { path: 'wmt-europarl-heldout/test2008', tokenized: false },
  },
  multi30k: {
    train: { path: 'train', tokenized: false },
    val: { path: 'val', tokenized: false },
    test_2016_flickr: { path: 'test_2016_flickr', tokenized: false },
  },
};

export interface TranslationSplitOptions extends LocateOptions {
  readonly corpus: TranslationCorpus;
  readonly split: string;
  /** Default 'en' → 'de'. */
  readonly sourceLang?: Language;
  readonly targetLang?: Language;
  readonly lowercase?: boolean;
}

export interface TokenizedParallelText {
  readonly source: string[][];
  readonly target: string[][];
  readonly sourceFile: string;
  readonly targetFile: string;
  readonly location: LocatedDataset;
}

/**
 * Load one split of a translation corpus as token lists: pre-tokenized files are split on
 * spaces, raw ones go through `tokenize` with the same rules.
 */
export async function loadTranslationSplit(
  options: TranslationSplitOptions,
): Promise<TokenizedParallelText> {
  const splits = TRANSLATION_SPLITS[options.corpus];
  const split = splits[options.split];
  if (split === undefined) {
    throw new ConfigError(
      `unknown split '${options.split}' of ${options.corpus}; choose one of: ${Object.keys(splits).join(', ')}`,
    );
  }
  const sourceLang = options.sourceLang ?? 'en';
  const targetLang = options.targetLang ?? (sourceLang === 'en' ? 'de' : 'en');
  if (sourceLang === targetLang) {
    throw new ConfigError(`source and target language are both '${sourceLang}'; use en and de`);
  }
  const location = await locateDataset(options.corpus, options);
  const base = join(location.path, split.path);
  const text = await loadParallelText(`${base}.${sourceLang}`, `${base}.${targetLang}`);
  const lowercase = options.lowercase ?? false;
  const toTokens = (lang: Language) => (line: string) =>
    split.tokenized ? splitTokens(line, { lowercase }) : tokenize(line, { lang, lowercase });
  return {
    source: text.source.map(toTokens(sourceLang)),
    target: text.target.map(toTokens(targetLang)),
    sourceFile: text.sourceFile,
    targetFile: text.targetFile,
    location,
  };
}
