import {
  backend_util,
  MaxPoolGrad,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasm, heapF32, overrideWasmKernel } from './wasm-kernel-utils.js';

/**
 * Stock wasm MaxPoolGrad is very slow. This finds each window's argmax per channel (ties: the
 * first max in row-major window order, as the cpu backend does) and adds dy there, working
 * directly on wasm heap views.
 */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = wasm.makeOutput(input.shape, 'float32');
  // Views after the allocation: makeOutput may grow the heap and detach older views.
  const x = heapF32(wasm, input);
  const g = heapF32(wasm, dy);
  const out = heapF32(wasm, dx);
  out.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(c);
  const bestAt = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + filterWidth);
        if (yStart >= yEnd || xStart >= xEnd) continue;
        // Start from the window's first element; strict '>' then keeps the first max.
        const first = xBatch + (yStart * inWidth + xStart) * c;
        for (let ch = 0; ch < c; ch++) {
          best[ch] = x[first + ch]!;
          bestAt[ch] = first + ch;
        }
        for (let y = yStart; y < yEnd; y++) {
          for (let xx = y === yStart ? xStart + 1 : xStart; xx < xEnd; xx++) {
            const base = xBatch + (y * inWidth + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                bestAt[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = bestAt[ch]!;
          out[at] = out[at]! + g[gBase + ch]!;
        }
      }
    }
  }
  return dx;
};

export function registerMaxPoolGrad(): void {
  overrideWasmKernel(MaxPoolGrad, maxPoolGrad);
}
