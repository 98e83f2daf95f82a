import { deflateSync } from 'node:zlib';

/** A minimal PNG encoder (8-bit RGB, no filtering) for image grids. */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of `rgb` (height × width × 3, row-major). */
export function encodePngRgb(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError('rgb size does not match');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * A grid of `count` NHWC images (values in [-1, 1], as the generator makes them) with a 2-pixel
 * gap; returns RGB bytes and the grid's size.
 */
export function imageGrid(
  images: ArrayLike<number>,
  count: number,
  size: number,
  columns: number,
): { rgb: Uint8Array; width: number; height: number } {
  const gap = 2;
  const rows = Math.ceil(count / columns);
  const width = columns * size + (columns + 1) * gap;
  const height = rows * size + (rows + 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  for (let i = 0; i < count; i++) {
    const ox = gap + (i % columns) * (size + gap);
    const oy = gap + Math.floor(i / columns) * (size + gap);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) {
          const v = images[((i * size + y) * size + x) * 3 + c] as number;
          const byte = Math.round(((Number.isFinite(v) ? v : 0) + 1) * 127.5);
          rgb[((oy + y) * width + ox + x) * 3 + c] = Math.min(255, Math.max(0, byte));
        }
  }
  return { rgb, width, height };
}

/** RGB images of equal height placed left to right with a white `gap` between them. */
export function sideBySide(
  images: readonly { rgb: Uint8Array; width: number; height: number }[],
  gap = 8,
): { rgb: Uint8Array; width: number; height: number } {
  const height = images[0]?.height ?? 0;
  if (images.some((im) => im.height !== height)) throw new RangeError('heights differ');
  const width = images.reduce((w, im) => w + im.width, 0) + gap * Math.max(0, images.length - 1);
  const rgb = new Uint8Array(width * height * 3).fill(255);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < height; y++) {
      rgb.set(im.rgb.subarray(y * im.width * 3, (y + 1) * im.width * 3), (y * width + x0) * 3);
    }
    x0 += im.width + gap;
  }
  return { rgb, width, height };
}
