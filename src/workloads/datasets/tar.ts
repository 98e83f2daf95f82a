/**
 * A small streaming reader for tar archives (POSIX ustar and GNU tar): 512-byte headers with
 * octal sizes, data padded to 512 bytes. GNU long names ('L') and pax headers ('x', path/size)
 * are applied to the entry that follows; global pax headers, links and other special entries
 * are skipped. Enough for data set archives, not a general tar implementation.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { DatasetFormatError } from './errors.js';

const BLOCK = 512;

export interface TarEntryHeader {
  readonly name: string;
  readonly size: number;
  readonly type: 'file' | 'directory' | 'other';
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function cString(block: Uint8Array, start: number, length: number, decoder = utf8): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

/** Numeric header field: octal text, or GNU base-256 when the top bit of the first byte is set. */
function numberField(block: Uint8Array, start: number, length: number): number {
  const first = block[start] as number;
  if ((first & 0x80) !== 0) {
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] as number);
    return value;
  }
  const text = cString(block, start, length, latin1).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  const stored = numberField(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return stored === sum;
}

/** Parse pax extended header records: "<len> <key>=<value>\n". */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(latin1.decode(data.subarray(pos, space)), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = utf8.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Push-style parser: feed chunks with `push`, call `end` at the end of the stream. Entries for
 * which `select` returns true are collected whole; the rest are skipped without copying.
 */
export class TarParser {
  private readonly header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private offset = 0;
  /** Bytes of entry data still to come, and where they go (null = skip). */
  private remaining = 0;
  private padding = 0;
  private target: Uint8Array | null = null;
  private targetFill = 0;
  private current: { header: TarEntryHeader; kind: 'entry' | 'longname' | 'pax' } | null = null;
  private nextName: string | null = null;
  private nextSize: number | null = null;
  private finished = false;
  readonly entries = new Map<string, Uint8Array>();
  readonly seen: TarEntryHeader[] = [];

  constructor(
    private readonly label: string,
    private readonly select: (entry: TarEntryHeader) => boolean,
  ) {}

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length && !this.finished) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - pos);
        if (this.target !== null) {
          this.target.set(chunk.subarray(pos, pos + n), this.targetFill);
          this.targetFill += n;
        }
        this.remaining -= n;
        pos += n;
        this.offset += n;
        if (this.remaining === 0) this.finishEntry();
      } else if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - pos);
        this.padding -= n;
        pos += n;
        this.offset += n;
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + n), this.headerFill);
        this.headerFill += n;
        pos += n;
        this.offset += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.startEntry();
        }
      }
    }
  }

  /** Call once the stream is done; throws if it stopped inside a header or an entry. */
  end(): void {
    if (this.finished) return;
    if (this.remaining > 0 || this.headerFill > 0) {
      const where = this.current ? `inside ${this.current.header.name}` : 'inside a header';
      throw new DatasetFormatError(
        this.label,
        `archive is truncated: it ends ${where} after ${this.offset} bytes of tar data; download it again`,
      );
    }
    // A missing end-of-archive marker is tolerated: every entry was complete.
    this.finished = true;
  }

  private startEntry(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.finished = true; // end-of-archive marker
      return;
    }
    if (!checksumOk(h)) {
      throw new DatasetFormatError(
        this.label,
        `corrupt tar header at byte ${this.offset - BLOCK} (checksum mismatch); this is not a tar archive or it is damaged`,
      );
    }
    const typeflag = String.fromCharCode(h[156] as number);
    const magic = cString(h, 257, 6, latin1);
    let name = cString(h, 0, 100);
    const prefix = magic === 'ustar' ? cString(h, 345, 155) : '';
    if (prefix !== '') name = `${prefix}/${name}`;
    let size = numberField(h, 124, 12);
    if (!Number.isFinite(size) || size < 0) {
      throw new DatasetFormatError(
        this.label,
        `corrupt tar header at byte ${this.offset - BLOCK} (bad size field)`,
      );
    }
    let kind: 'entry' | 'longname' | 'pax' = 'entry';
    let type: TarEntryHeader['type'] = 'other';
    if (typeflag === 'L') kind = 'longname';
    else if (typeflag === 'x') kind = 'pax';
    else if (typeflag === '0' || typeflag === '\0' || typeflag === '7') type = 'file';
    else if (typeflag === '5') type = 'directory';
    if (kind === 'entry') {
      if (this.nextName !== null) name = this.nextName;
      if (this.nextSize !== null) size = this.nextSize;
      this.nextName = null;
      this.nextSize = null;
    }
    name = name.replace(/^\.\//, '');
    const header: TarEntryHeader = { name, size, type };
    this.current = { header, kind };
    const collect = kind !== 'entry' || (type === 'file' && this.select(header));
    if (kind === 'entry') this.seen.push(header);
    this.target = collect ? new Uint8Array(size) : null;
    this.targetFill = 0;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishEntry();
  }

  private finishEntry(): void {
    const current = this.current;
    const data = this.target;
    this.target = null;
    this.current = null;
    if (current === null || data === null) return;
    if (current.kind === 'longname') {
      this.nextName = cString(data, 0, data.length);
    } else if (current.kind === 'pax') {
      const pax = parsePax(data);
      const path = pax.get('path');
      if (path !== undefined) this.nextName = path;
      const size = pax.get('size');
      if (size !== undefined && /^\d+$/.test(size)) this.nextSize = parseInt(size, 10);
    } else {
      if (this.entries.has(current.header.name)) {
        throw new DatasetFormatError(this.label, `archive holds ${current.header.name} twice`);
      }
      this.entries.set(current.header.name, data);
    }
  }
}

/**
 * Stream a .tar.gz (or plain .tar) file and return the selected regular files by entry name.
 * Corrupt gzip data, a truncated archive or a bad header give a DatasetFormatError naming the file.
 */
export async function readTarFile(
  path: string,
  select: (entry: TarEntryHeader) => boolean,
): Promise<{ entries: Map<string, Uint8Array>; seen: TarEntryHeader[] }> {
  const parser = new TarParser(path, select);
  const gzipped = !path.endsWith('.tar');
  const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) parser.push(chunk);
  };
  try {
    if (gzipped) {
      await pipeline(createReadStream(path), createGunzip({ chunkSize: 1 << 20 }), consume);
    } else {
      await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), consume);
    }
  } catch (error) {
    if (error instanceof DatasetFormatError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DatasetFormatError(
      path,
      gzipped
        ? `is not a valid gzip stream (${message}); the archive is probably truncated or corrupt, download it again`
        : `cannot be read: ${message}`,
      { cause: error },
    );
  }
  parser.end();
  return { entries: parser.entries, seen: parser.seen };
}
