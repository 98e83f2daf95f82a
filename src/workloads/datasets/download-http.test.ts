import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { downloadFiles, sha256Hex } from './download.js';
import { DatasetChecksumError, DatasetDownloadError } from './errors.js';
import { rejectionOf, removeTempDirs, tempDir } from './test-fixtures.js';

/**
 * The download path over real HTTP (Node's own fetch, a local server), as a user's machine would
 * run it against the official sites: streamed in chunks, checked, renamed; a cut connection or a
 * wrong body leaves no file behind.
 */
const body = randomBytes(3 * 1024 * 1024 + 17);
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/data.bin' || req.url === '/other.bin') {
      const payload = req.url === '/data.bin' ? body : Buffer.from('not the data');
      res.writeHead(200, { 'content-length': String(payload.length) });
      // In 64 KiB chunks, as a real transfer arrives.
      for (let at = 0; at < payload.length; at += 65536)
        res.write(payload.subarray(at, at + 65536));
      res.end();
    } else if (req.url === '/cut.bin') {
      // Promise the whole file, send a third of it, then drop the connection.
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length / 3), () => res.destroy());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  removeTempDirs();
  await new Promise((resolve) => server.close(resolve));
});

const spec = (...paths: string[]) => ({
  fileName: 'data.bin',
  urls: paths.map((p) => base + p),
  sha256: sha256Hex(body),
  size: body.length,
});

describe('downloadFiles over HTTP', () => {
  it('streams a multi-megabyte file to disk, verified, after a 404 mirror', async () => {
    const dir = tempDir();
    const logged: string[] = [];
    const written = await downloadFiles([spec('/missing.bin', '/data.bin')], dir, {
      log: (m) => logged.push(m),
    });
    expect(written).toEqual([join(dir, 'data.bin')]);
    expect(readFileSync(join(dir, 'data.bin')).equals(body)).toBe(true);
    expect(logged).toEqual([
      `downloading ${base}/missing.bin (3.1 MB)`,
      `downloading ${base}/data.bin (3.1 MB)`,
    ]);
    expect(readdirSync(dir)).toEqual(['data.bin']);
  });

  it('a connection cut mid-transfer fails with what happened and leaves nothing behind', async () => {
    const dir = tempDir();
    const error = await rejectionOf<DatasetDownloadError>(downloadFiles([spec('/cut.bin')], dir));
    expect(error).toBeInstanceOf(DatasetDownloadError);
    expect(error.message).toMatch(/cut\.bin: interrupted after \d+ bytes/);
    expect(error.message).toContain(`save it as ${join(dir, 'data.bin')}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a body with the wrong checksum is deleted and named', async () => {
    const dir = tempDir();
    const error = await rejectionOf(downloadFiles([spec('/other.bin')], dir));
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect(error.message).toContain('other.bin (12 bytes');
    expect(existsSync(join(dir, 'data.bin'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
