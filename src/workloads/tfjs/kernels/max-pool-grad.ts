import {
  backend_util,
  MaxPoolGrad,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasm, heapF32, overrideWasmKernel } from './wasm-kernel-utils.js';

/**
 * Stock wasm MaxPoolGrad is very slow (65 ms for a [128,26,26,32] input). This finds each
 * window's argmax per channel (ties: the first max in row-major window order, as the cpu
 * backend does) and adds dy there, working directly on wasm heap views. The common 2x2 pool
 * with stride 2 and no padding tiles the input: every dx element is written exactly once, with
 * no zero-fill pass and no read-modify-write. (The wasm MaxPoolWithArgmax kernel alone takes
 * longer than this whole kernel.)
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
  const tiled2x2 =
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    // 'same' on odd sizes pads at the bottom/right: the last windows would leave the input.
    info.outHeight * 2 <= info.inHeight &&
    info.outWidth * 2 <= info.inWidth;
  if (tiled2x2) grad2x2(x, g, out, info);
  else gradAnyWindow(x, g, out, info);
  return dx;
};

/** 2x2 windows, stride 2, all inside the input: windows never overlap. */
function grad2x2(
  x: Float32Array,
  g: Float32Array,
  out: Float32Array,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  // Odd sizes leave a last row/column outside every window: it gets zeros.
  if (outHeight * 2 !== inHeight || outWidth * 2 !== inWidth) out.fill(0);
  const rowStride = inWidth * c;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const row0 = (b * inHeight + oy * 2) * rowStride;
      const gRow = (b * outHeight + oy) * outWidth * c;
      for (let ox = 0; ox < outWidth; ox++) {
        const p0 = row0 + ox * 2 * c;
        const p1 = p0 + c;
        const p2 = p0 + rowStride;
        const p3 = p2 + c;
        const gBase = gRow + ox * c;
        for (let ch = 0; ch < c; ch++) {
          const v0 = x[p0 + ch]!;
          const v1 = x[p1 + ch]!;
          const v2 = x[p2 + ch]!;
          const v3 = x[p3 + ch]!;
          // Strict '>' keeps the first max in row-major order.
          let k = 0;
          let best = v0;
          if (v1 > best) {
            best = v1;
            k = 1;
          }
          if (v2 > best) {
            best = v2;
            k = 2;
          }
          if (v3 > best) k = 3;
          const d = g[gBase + ch]!;
          out[p0 + ch] = k === 0 ? d : 0;
          out[p1 + ch] = k === 1 ? d : 0;
          out[p2 + ch] = k === 2 ? d : 0;
          out[p3 + ch] = k === 3 ? d : 0;
        }
      }
    }
  }
}

/** Any window, stride and padding (windows may overlap: gradients add up). */
function gradAnyWindow(
  x: Float32Array,
  g: Float32Array,
  out: Float32Array,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  out.fill(0);
  // Heap offsets of the current window's pixels (row-major, clipped to the input).
  const taps = new Int32Array(filterHeight * filterWidth);
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
        let count = 0;
        for (let y = yStart; y < yEnd; y++)
          for (let xx = xStart; xx < xEnd; xx++) taps[count++] = xBatch + (y * inWidth + xx) * c;
        if (count === 0) continue;
        const gBase = ((b * outHeight + oy) * outWidth + ox) * c;
        // Strict '>' keeps the first max in row-major order.
        for (let ch = 0; ch < c; ch++) {
          let at = taps[0]! + ch;
          let best = x[at]!;
          for (let k = 1; k < count; k++) {
            const v = x[taps[k]! + ch]!;
            if (v > best) {
              best = v;
              at = taps[k]! + ch;
            }
          }
          out[at] = out[at]! + g[gBase + ch]!;
        }
      }
    }
  }
}

export function registerMaxPoolGrad(): void {
  overrideWasmKernel(MaxPoolGrad, maxPoolGrad);
}
