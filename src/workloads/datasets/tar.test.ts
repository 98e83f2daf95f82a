import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { DatasetFormatError } from './errors.js';
import { readTarFile, TarParser } from './tar.js';
import { paxRecord, tarBytes, tempDir, rejectionOf, removeTempDirs } from './test-fixtures.js';

afterAll(removeTempDirs);

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('tar reader', () => {
  it('collects selected files, skips others, and survives any chunking', () => {
    const big = new Uint8Array(1500).map((_, i) => i % 251);
    const tar = tarBytes([
      { name: 'dir/', type: '5' },
      { name: 'dir/a.txt', data: enc('hello') },
      { name: 'dir/skip.bin', data: new Uint8Array(700).fill(9) },
      { name: 'dir/big.bin', data: big },
      { name: 'dir/empty', data: new Uint8Array(0) },
    ]);
    for (const chunkSize of [1, 7, 512, 100000]) {
      const parser = new TarParser('t.tar', (e) => !e.name.endsWith('skip.bin'));
      for (let i = 0; i < tar.length; i += chunkSize) parser.push(tar.subarray(i, i + chunkSize));
      parser.end();
      expect([...parser.entries.keys()]).toEqual(['dir/a.txt', 'dir/big.bin', 'dir/empty']);
      expect(dec(parser.entries.get('dir/a.txt'))).toBe('hello');
      expect(parser.entries.get('dir/big.bin')).toEqual(big);
      expect(parser.seen.map((e) => e.type)).toEqual(['directory', 'file', 'file', 'file', 'file']);
    }
  });

  it('applies GNU long names, pax paths and the ustar prefix', () => {
    const longName = `${'x'.repeat(120)}/data.bin`;
    const tar = tarBytes([
      { name: '././@LongLink', type: 'L', data: enc(`${longName}\0`) },
      { name: 'truncated-name', data: enc('one') },
      {
        name: 'PaxHeaders/p',
        type: 'x',
        data: enc(paxRecord('path', 'from/pax.bin') + paxRecord('mtime', '1.5')),
      },
      { name: 'short', data: enc('two') },
      { name: 'file.bin', prefix: 'some/prefix', data: enc('three') },
    ]);
    const parser = new TarParser('t.tar', () => true);
    parser.push(tar);
    parser.end();
    expect(dec(parser.entries.get(longName))).toBe('one');
    expect(dec(parser.entries.get('from/pax.bin'))).toBe('two');
    expect(dec(parser.entries.get('some/prefix/file.bin'))).toBe('three');
  });

  it('rejects a header with a bad checksum', () => {
    const tar = tarBytes([{ name: 'a', data: enc('abc') }]);
    tar[10] = 0x41; // flip a name byte without fixing the checksum
    const parser = new TarParser('t.tar', () => true);
    expect(() => parser.push(tar)).toThrow(/corrupt tar header at byte 0 \(checksum mismatch\)/);
  });

  it('reports an archive cut inside an entry as truncated', () => {
    const tar = tarBytes([{ name: 'dir/a.bin', data: new Uint8Array(2000) }], false);
    const parser = new TarParser('t.tar', () => true);
    parser.push(tar.subarray(0, 1200));
    expect(() => parser.end()).toThrow(/truncated: it ends inside dir\/a.bin/);
  });

  it('reads .tar.gz files and turns gzip damage into a DatasetFormatError naming the file', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.tar.gz');
    const gz = gzipSync(tarBytes([{ name: 'a', data: enc('abc') }]));
    writeFileSync(good, gz);
    const { entries } = await readTarFile(good, () => true);
    expect(dec(entries.get('a'))).toBe('abc');

    const bad = join(dir, 'bad.tar.gz');
    writeFileSync(bad, gz.subarray(0, gz.length - 12));
    const error = await rejectionOf(readTarFile(bad, () => true));
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toContain(bad);
    expect(error.message).toMatch(/gzip|truncated/);
  });
});
