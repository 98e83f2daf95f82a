import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

import { DatasetFormatError } from './errors.js';

const gunzipAsync = promisify(gunzip);

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** A file's bytes, gunzipped when they start with the gzip magic (whatever the file is called). */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new DatasetFormatError(path, `cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isGzip(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    const out = await gunzipAsync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new DatasetFormatError(
      path,
      `is not a valid gzip stream (${(error as Error).message}); the file is probably truncated or corrupt, download it again`,
      { cause: error },
    );
  }
}
