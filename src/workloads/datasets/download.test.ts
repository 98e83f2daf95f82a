import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DATASETS } from './catalog.js';
import {
  downloadDataset,
  downloadFiles,
  fileSha256,
  sha256Hex,
  verifyFileSha256,
  verifySha256,
  type FetchLike,
} from './download.js';
import { DatasetChecksumError, DatasetDownloadError } from './errors.js';
import { tempDir, rejectionOf, removeTempDirs } from './test-fixtures.js';

afterAll(removeTempDirs);

const bytes = new TextEncoder().encode('abc');
// SHA-256("abc"), FIPS 180-2 test vector.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

/** A fake fetch serving fixed bodies by URL; unknown URLs fail like an offline machine. */
function fakeFetch(
  bodies: Record<string, Uint8Array<ArrayBuffer> | number>,
): FetchLike & { calls: string[] } {
  const calls: string[] = [];
  const f = (url: string): Promise<Response> => {
    calls.push(url);
    const body = bodies[url];
    if (body === undefined) return Promise.reject(new TypeError('fetch failed'));
    if (typeof body === 'number')
      return Promise.resolve(new Response('nope', { status: body, statusText: 'Not Found' }));
    return Promise.resolve(new Response(body));
  };
  return Object.assign(f, { calls });
}

describe('checksums', () => {
  it('computes SHA-256 of bytes and files', async () => {
    expect(sha256Hex(bytes)).toBe(ABC);
    const file = join(tempDir(), 'abc');
    writeFileSync(file, bytes);
    expect(await fileSha256(file)).toBe(ABC);
    await expect(verifyFileSha256(file, ABC.toUpperCase())).resolves.toBeUndefined();
  });

  it('rejects bytes that do not match, naming file, expected and actual hashes', () => {
    expect(() => verifySha256('abc.bin', bytes, ABC)).not.toThrow();
    const wrong = '0'.repeat(64);
    const error = (() => {
      try {
        verifySha256('abc.bin', bytes, wrong);
      } catch (e) {
        return e as DatasetChecksumError;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect(error?.code).toBe('DATASET_CHECKSUM');
    expect(error?.message).toContain('abc.bin');
    expect(error?.message).toContain(wrong);
    expect(error?.message).toContain(ABC);
  });

  it('knows the official SHA-256 of every downloadable file', () => {
    for (const name of ['fashion-mnist', 'cifar-10'] as const) {
      const files = DATASETS[name].officialFiles;
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('downloadFiles', () => {
  const spec = {
    fileName: 'abc.bin',
    urls: ['https://a/abc', 'https://b/abc'],
    sha256: ABC,
    size: 3,
  };

  it('falls back to the next mirror and keeps only verified files', async () => {
    const dir = tempDir();
    const fetchImpl = fakeFetch({ 'https://a/abc': 404, 'https://b/abc': bytes });
    const written = await downloadFiles([spec], dir, { fetch: fetchImpl });
    expect(written).toEqual([join(dir, 'abc.bin')]);
    expect(readFileSync(join(dir, 'abc.bin'))).toEqual(Buffer.from(bytes));
    expect(fetchImpl.calls).toEqual(['https://a/abc', 'https://b/abc']);
    // Present and verified: no second download.
    const again = fakeFetch({});
    await downloadFiles([spec], dir, { fetch: again });
    expect(again.calls).toEqual([]);
  });

  it('deletes a download with the wrong checksum and reports it', async () => {
    const dir = tempDir();
    const evil = new TextEncoder().encode('abd');
    const error = await rejectionOf(
      downloadFiles([spec], dir, {
        fetch: fakeFetch({ 'https://a/abc': evil, 'https://b/abc': evil }),
      }),
    );
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('offline: lists each URL that failed and how to download by hand', async () => {
    const dir = tempDir();
    const error = await rejectionOf<DatasetDownloadError>(
      downloadFiles([spec], dir, {
        fetch: fakeFetch({ 'https://a/abc': 500 }),
      }),
    );
    expect(error).toBeInstanceOf(DatasetDownloadError);
    expect(error.message).toContain('https://a/abc: HTTP 500');
    expect(error.message).toContain('https://b/abc: fetch failed');
    expect(error.message).toContain(`save it as ${join(dir, 'abc.bin')}`);
    expect(existsSync(join(dir, 'abc.bin'))).toBe(false);
  });

  it('downloadDataset puts Fashion-MNIST under <dest>/fashion-mnist and fails cleanly offline', async () => {
    const dest = tempDir();
    const fetchImpl = fakeFetch({});
    await expect(downloadDataset('fashion-mnist', dest, { fetch: fetchImpl })).rejects.toThrow(
      /could not download train-images-idx3-ubyte\.gz/,
    );
    expect(fetchImpl.calls[0]).toBe(
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/train-images-idx3-ubyte.gz',
    );
    expect(readdirSync(join(dest, 'fashion-mnist'))).toEqual([]);
  });
});
