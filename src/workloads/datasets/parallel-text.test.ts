import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../engine/core/errors.js';
import { DatasetFormatError } from './errors.js';
import {
  loadParallelText,
  loadTranslationSplit,
  readTextLines,
  splitLines,
} from './parallel-text.js';
import { tempDir, rejectionOf, removeTempDirs } from './test-fixtures.js';

afterAll(removeTempDirs);

function write(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('parallel text', () => {
  it('splits lines on LF and CRLF, ignores one final newline, drops a BOM', async () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\r\nb')).toEqual(['a', 'b']);
    expect(splitLines('a\n\nb\n')).toEqual(['a', '', 'b']);
    const dir = tempDir();
    expect(await readTextLines(write(dir, 'bom.txt', '\uFEFFGrüße\nzwei\n'))).toEqual([
      'Grüße',
      'zwei',
    ]);
  });

  it('loads aligned files', async () => {
    const dir = tempDir();
    const text = await loadParallelText(
      write(dir, 's.en', 'one\ntwo\n'),
      write(dir, 's.de', 'eins\nzwei\n'),
    );
    expect(text.source).toEqual(['one', 'two']);
    expect(text.target).toEqual(['eins', 'zwei']);
  });

  it('names both files and their line counts when they are not aligned', async () => {
    const dir = tempDir();
    const en = write(dir, 'x.en', 'a\nb\nc\n');
    const de = write(dir, 'x.de', 'a\nb\n');
    const error = await rejectionOf<DatasetFormatError>(loadParallelText(en, de));
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toContain(`${en} has 3 lines but ${de} has 2`);
  });

  it('rejects an empty file and a file of blank lines', async () => {
    const dir = tempDir();
    const empty = write(dir, 'e.en', '');
    await expect(loadParallelText(empty, write(dir, 'e.de', 'x\n'))).rejects.toThrow(
      `${empty}: is empty (0 lines)`,
    );
    const blank = write(dir, 'b.en', '\n\n');
    await expect(loadParallelText(blank, write(dir, 'b.de', 'x\ny\n'))).rejects.toThrow(
      /has 2 lines, all blank/,
    );
  });

  it('rejects invalid UTF-8 and names the line', async () => {
    const dir = tempDir();
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('ok\nstill ok\nbad '),
      0xc3,
      0x28,
      0x0a,
    ]);
    const bad = write(dir, 'bad.en', bytes);
    await expect(loadParallelText(bad, write(dir, 'bad.de', 'a\nb\nc\n'))).rejects.toThrow(
      `${bad}: is not valid UTF-8 (first bad byte on line 3)`,
    );
  });

  it('loads corpus splits: pre-tokenized files split on spaces, raw ones tokenized', async () => {
    const root = tempDir();
    const europarl = join(root, 'europarl-de-en');
    mkdirSync(join(europarl, 'wmt-europarl-heldout'), { recursive: true });
    write(europarl, 'train.en', "Mr Barón Crespo ' s motion .\n");
    write(europarl, 'train.de', 'Herr Barón Crespos Antrag .\n');
    write(europarl, 'valid.en', 'x\n');
    write(europarl, 'valid.de', 'x\n');
    write(europarl, 'wmt-europarl-heldout/test2008.en', "The Commission's view, i.e. ours.\n");
    write(
      europarl,
      'wmt-europarl-heldout/test2008.de',
      'Die Ansicht der Kommission, d. h. unsere.\n',
    );
    const train = await loadTranslationSplit({
      corpus: 'europarl-de-en',
      split: 'train',
      path: root,
    });
    expect(train.source).toEqual([['Mr', 'Barón', 'Crespo', "'", 's', 'motion', '.']]);
    const test = await loadTranslationSplit({
      corpus: 'europarl-de-en',
      split: 'test2008',
      path: root,
      lowercase: true,
    });
    expect(test.source[0]).toEqual([
      'the',
      'commission',
      "'",
      's',
      'view',
      ',',
      'i.e.',
      'ours',
      '.',
    ]);
    expect(test.target[0]).toEqual([
      'die',
      'ansicht',
      'der',
      'kommission',
      ',',
      'd.',
      'h.',
      'unsere',
      '.',
    ]);
    const reversed = await loadTranslationSplit({
      corpus: 'europarl-de-en',
      split: 'train',
      path: root,
      sourceLang: 'de',
    });
    expect(reversed.source[0]?.[0]).toBe('Herr');
    await expect(
      loadTranslationSplit({ corpus: 'europarl-de-en', split: 'test2009', path: root }),
    ).rejects.toThrow(ConfigError);
  });
});
