/**
 * Tiny data files for the loaders' tests: IDX files, tar archives and CIFAR-10 batches built in
 * memory, so tests never depend on the real data sets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CIFAR10_RECORD_BYTES } from './cifar10.js';

const created: string[] = [];

/** A fresh temp folder, removed by `removeTempDirs` (call it in `afterAll`). */
export function tempDir(prefix = 'pbt-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** An IDX unsigned-byte file: magic 0x000008<ndims>, big-endian dims, then `data`. */
export function idxBytes(dims: readonly number[], data: Uint8Array, magic?: number): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, magic ?? 0x00000800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export interface TarFixtureEntry {
  readonly name: string;
  readonly data?: Uint8Array;
  /** '0' file (default), '5' directory, 'L' GNU long name, 'x' pax header. */
  readonly type?: string;
  /** Write the POSIX ustar magic and put `prefix` in the prefix field. */
  readonly prefix?: string;
}

function writeString(block: Uint8Array, offset: number, text: string): void {
  block.set(new TextEncoder().encode(text), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** A tar archive (GNU-style headers unless `prefix` asks for POSIX ustar), with end marker. */
export function tarBytes(entries: readonly TarFixtureEntry[], endMarker = true): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const h = new Uint8Array(512);
    writeString(h, 0, e.name.slice(0, 100));
    writeOctal(h, 100, 8, 0o644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, data.length);
    writeOctal(h, 136, 12, 0);
    h[156] = (e.type ?? '0').charCodeAt(0);
    if (e.prefix !== undefined) {
      writeString(h, 257, 'ustar\u000000');
      writeString(h, 345, e.prefix);
    } else {
      writeString(h, 257, 'ustar  \u0000');
    }
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    writeString(h, 148, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  if (endMarker) blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  for (const b of blocks) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

/** A pax record "<len> key=value\n" (the length counts itself). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return `${len}${body}`;
}

/**
 * CIFAR-10 records whose pixel values encode their position, so a test can check the CHW→HWC
 * conversion: record r, channel c, pixel p holds (r * 7 + c * 50 + p) % 256.
 */
export function cifarRecords(labels: readonly number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR10_RECORD_BYTES);
  labels.forEach((label, r) => {
    const base = r * CIFAR10_RECORD_BYTES;
    out[base] = label;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) out[base + 1 + c * 1024 + p] = cifarPixel(r, c, p);
    }
  });
  return out;
}

export function cifarPixel(record: number, channel: number, pixel: number): number {
  return (record * 7 + channel * 50 + pixel) % 256;
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf<E extends Error = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
