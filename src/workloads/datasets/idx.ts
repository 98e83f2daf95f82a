import { DatasetFormatError } from './errors.js';

/** IDX magic numbers for unsigned-byte data: 0x00000801 (1-D labels), 0x00000803 (3-D images). */
export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_MAGIC = 0x00000803;

export interface IdxArray {
  readonly dims: readonly number[];
  /** A view into the given bytes (no copy). */
  readonly data: Uint8Array;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Parse an IDX file of unsigned bytes: big-endian magic (0x0000 08 <ndims>), then one 32-bit
 * big-endian size per dimension, then the data. The file length must match the header exactly.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedMagic: number): IdxArray {
  const ndims = expectedMagic & 0xff;
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) {
    throw new DatasetFormatError(
      file,
      `is truncated: ${bytes.length} bytes, shorter than the ${headerSize}-byte IDX header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const what = expectedMagic === IDX_IMAGES_MAGIC ? 'images' : 'labels';
    throw new DatasetFormatError(
      file,
      `wrong magic number ${hex(magic)}, expected ${hex(expectedMagic)} (IDX unsigned-byte ${what}); ` +
        'this is not the right file or it is corrupt',
    );
  }
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndims; d++) {
    const dim = view.getUint32(4 + 4 * d, false);
    dims.push(dim);
    size *= dim;
  }
  const expected = headerSize + size;
  if (bytes.length < expected) {
    throw new DatasetFormatError(
      file,
      `is truncated: the header declares ${dims.join(' x ')} (${expected} bytes in all) but the file has only ${bytes.length} bytes`,
    );
  }
  if (bytes.length > expected) {
    throw new DatasetFormatError(
      file,
      `has ${bytes.length - expected} unexpected trailing bytes after the ${dims.join(' x ')} data the header declares`,
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}
