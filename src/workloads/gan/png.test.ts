import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePngRgb, imageGrid, sideBySide } from './png.js';

describe('png', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('encodes RGB pixels that inflate back to the filtered rows', () => {
    const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10);
    const png = encodePngRgb(rgb, 3, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect([...raw]).toEqual([0, ...rgb.subarray(0, 9), 0, ...rgb.subarray(9)]);
  });

  it('lays images out in a grid mapping [-1, 1] to [0, 255]', () => {
    const images = new Float32Array(3 * 2 * 2 * 3);
    images.fill(-1, 0, 12);
    images.fill(1, 12, 24);
    images.fill(0, 24);
    const g = imageGrid(images, 3, 2, 2);
    expect(g.width).toBe(2 * 2 + 3 * 2);
    expect(g.height).toBe(2 * 2 + 3 * 2);
    const px = (x: number, y: number): number => g.rgb[(y * g.width + x) * 3]!;
    expect(px(2, 2)).toBe(0);
    expect(px(6, 2)).toBe(255);
    expect(px(2, 6)).toBe(128);
    expect(px(0, 0)).toBe(255); // gap
  });

  it('places images side by side with a white gap', () => {
    const a = { rgb: new Uint8Array(2 * 1 * 3).fill(10), width: 2, height: 1 };
    const b = { rgb: new Uint8Array(1 * 1 * 3).fill(20), width: 1, height: 1 };
    const out = sideBySide([a, b], 1);
    expect(out.width).toBe(4);
    expect(out.height).toBe(1);
    expect([...out.rgb]).toEqual([10, 10, 10, 10, 10, 10, 255, 255, 255, 20, 20, 20]);
    expect(() => sideBySide([a, { ...b, rgb: new Uint8Array(6), height: 2 }])).toThrow(RangeError);
  });
});
