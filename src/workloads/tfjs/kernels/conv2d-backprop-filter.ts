import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  asWasm,
  disposeIntermediate,
  heapF32,
  overrideWasmKernel,
  runWasmKernel,
  type WasmBackend,
} from './wasm-kernel-utils.js';

/**
 * Missing on wasm (no conv net could train). The filter gradient
 *   dW[kh,kw,ci,co] = sum over n,oy,ox of xPadded[n, oy*s+kh, ox*s+kw, ci] * dy[n,oy,ox,co]
 * takes one of two XNNPACK routes:
 * - few filter taps (KH*KW*Cin <= 18, e.g. a 3x3 first layer on 1-2 channel images): one
 *   XNNPACK matmul dy^T [Cout, N*OH*OW] x patches [N*OH*OW, KH*KW*Cin]. The conv route's conv
 *   has only KH*KW*Cin output pixels there and is ~1.7x slower. The big operand is the left
 *   one: XNNPACK packs (copies) the right operand on every call, as dy changes every step;
 * - otherwise a forward Conv2D of x^T [Cin, Hp, Wp, N] with the "filter" dy^T [OH, OW, N, Cout]
 *   at dilation = the forward stride, 'valid' padding. Its transposes run on the wasm
 *   Transpose kernel (2-4x faster than JS loops on these shapes), padding as row copies.
 *   (Splitting the batch so that the packed dy^T stays in cache was measured: no faster.)
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW')
    throw new Error('wasm Conv2DBackpropFilter supports only NHWC (channelsLast)');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const g: Geometry = {
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    oh: info.outHeight,
    ow: info.outWidth,
    h: info.inHeight,
    w: info.inWidth,
    cin: info.inChannels,
    cout: info.outChannels,
    n: info.batchSize,
  };
  return g.kh * g.kw * g.cin <= IM2COL_MAX_TAPS
    ? im2colFilterGrad(wasm, x, dy, g)
    : convFilterGrad(wasm, x, dy, g);
};

/**
 * Filter taps up to which the im2col route wins. Measured (ms, im2col vs conv route, fresh dy):
 * 3x3x1 s1 on 128x28x28: 12.9 vs 21.9; 3x3x2 s1 on 64x32x32: 20.0 vs 24.3; 3x3x3 s1: 26.4 vs
 * 25.7; 4x4x3 s2 (GAN): 8.8 vs 4.1; 5x5x1 s1: 38.2 vs 37.1; 5x5x3 s1: 106 vs 35.
 */
const IM2COL_MAX_TAPS = 18;

function im2colFilterGrad(
  wasm: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  g: Geometry,
): TensorInfo {
  const { kh, kw, cin, cout, n, oh, ow } = g;
  const pixels = n * oh * ow;
  const taps = kh * kw * cin;
  // dy^T [Cout, pixels]: the wasm Transpose is ~2x faster than a JS loop on this 2-D case.
  const dyRows: TensorInfo = { dataId: dy.dataId, shape: [pixels, cout], dtype: 'float32' };
  const dyt = runWasmKernel('Transpose', wasm, { x: dyRows }, { perm: [1, 0] });
  let patches: TensorInfo | undefined;
  let prod: TensorInfo | undefined;
  try {
    patches = wasm.makeOutput([1, pixels, taps], 'float32');
    // View only after the allocation (heap growth detaches older views).
    fillPatches(heapF32(wasm, x), heapF32(wasm, patches), g);
    prod = runWasmKernel(
      'BatchMatMul',
      wasm,
      { a: { dataId: dyt.dataId, shape: [1, cout, pixels], dtype: 'float32' }, b: patches },
      { transposeA: false, transposeB: false },
    );
    // prod is dW^T [Cout, KH*KW*Cin].
    const out = wasm.makeOutput([kh, kw, cin, cout], 'float32');
    transposeRows(heapF32(wasm, prod), heapF32(wasm, out), cout, taps);
    return out;
  } finally {
    disposeIntermediate(wasm, dyt);
    if (patches !== undefined) disposeIntermediate(wasm, patches);
    if (prod !== undefined) disposeIntermediate(wasm, prod);
  }
}

/** dst [cols, rows] = src [rows, cols]^T (small matrices). */
function transposeRows(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0, to = r; c < cols; c++, to += rows) dst[to] = src[from + c]!;
  }
}

/** patches[(b*OH + oy)*OW + ox, (ky*KW + kx)*Cin + ci] = xPadded[b, oy*sh + ky, ox*sw + kx, ci]. */
function fillPatches(x: Float32Array, patches: Float32Array, g: Geometry): void {
  const { kh, kw, sh, sw, top, left, oh, ow, h, w, cin, n } = g;
  const taps = kh * kw * cin;
  const step = sw * cin;
  // Tap by tap: each inner loop is one output row, reading x with a fixed stride.
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      // Output columns whose input column lies inside x; the others read padding zeros.
      const oxFirst = Math.min(ow, Math.max(0, Math.ceil((left - kx) / sw)));
      const oxEnd = Math.max(oxFirst, Math.min(ow, Math.floor((w - 1 + left - kx) / sw) + 1));
      for (let ci = 0; ci < cin; ci++) {
        const tap = (ky * kw + kx) * cin + ci;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const rowStart = (b * oh + oy) * ow * taps + tap;
            const y = oy * sh + ky - top;
            if (y < 0 || y >= h) {
              for (let ox = 0, d = rowStart; ox < ow; ox++, d += taps) patches[d] = 0;
              continue;
            }
            for (let ox = 0, d = rowStart; ox < oxFirst; ox++, d += taps) patches[d] = 0;
            let src = ((b * h + y) * w + oxFirst * sw + kx - left) * cin + ci;
            let d = rowStart + oxFirst * taps;
            for (let ox = oxFirst; ox < oxEnd; ox++, d += taps, src += step) patches[d] = x[src]!;
            for (let ox = oxEnd; ox < ow; ox++, d += taps) patches[d] = 0;
          }
        }
      }
    }
  }
}

function convFilterGrad(wasm: WasmBackend, x: TensorInfo, dy: TensorInfo, g: Geometry): TensorInfo {
  const { kh, kw, sh, sw, oh, ow, h, w, cin, cout, n } = g;
  // Padded extent the forward conv reads: rows [0, (OH-1)*s + KH) of the padded input.
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  // The wasm Transpose does these two permutations 2-4x faster than JS loops (1-2 ms each
  // on the CNN shapes); padding then copies whole rows of N.
  const temps: TensorInfo[] = [];
  let conv: TensorInfo | undefined;
  try {
    const xT = runWasmKernel('Transpose', wasm, { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
    temps.push(xT);
    let xt = xT;
    if (g.top !== 0 || g.left !== 0 || hp !== h || wp !== w) {
      xt = wasm.makeOutput([cin, hp, wp, n], 'float32');
      temps.push(xt);
      padRows(heapF32(wasm, xT), heapF32(wasm, xt), g, hp, wp);
    }
    const dyRows: TensorInfo = { dataId: dy.dataId, shape: [n, oh * ow, cout], dtype: 'float32' };
    const dyT = runWasmKernel('Transpose', wasm, { x: dyRows }, { perm: [1, 0, 2] });
    temps.push(dyT);
    const dyt: TensorInfo = { dataId: dyT.dataId, shape: [oh, ow, n, cout], dtype: 'float32' };
    conv = runWasmKernel(
      'Conv2D',
      wasm,
      { x: xt, filter: dyt },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] },
    );
    // conv is [Cin, KH, KW, Cout]; the filter gradient is [KH, KW, Cin, Cout].
    const out = wasm.makeOutput([kh, kw, cin, cout], 'float32');
    const src = heapF32(wasm, conv);
    const dst = heapF32(wasm, out);
    for (let ci = 0; ci < cin; ci++) {
      for (let k = 0; k < kh * kw; k++) {
        const from = (ci * kh * kw + k) * cout;
        dst.set(src.subarray(from, from + cout), (k * cin + ci) * cout);
      }
    }
    return out;
  } finally {
    disposeIntermediate(wasm, ...temps);
    if (conv !== undefined) disposeIntermediate(wasm, conv);
  }
}

/** xt[ci, y + top, x + left, :] = xT[ci, y, x, :] inside [0, hp) x [0, wp), zero elsewhere. */
function padRows(xT: Float32Array, xt: Float32Array, g: Geometry, hp: number, wp: number): void {
  const { h, w, cin, n, top, left } = g;
  xt.fill(0);
  // Forward convs may leave the last rows/columns of x unread: clip them.
  const rows = Math.min(h, hp - top);
  const run = Math.min(w, wp - left) * n;
  if (rows <= 0 || run <= 0) return;
  for (let ci = 0; ci < cin; ci++) {
    for (let y = 0; y < rows; y++) {
      const from = (ci * h + y) * w * n;
      xt.set(xT.subarray(from, from + run), ((ci * hp + y + top) * wp + left) * n);
    }
  }
}

interface Geometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  oh: number;
  ow: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  n: number;
}

export function registerConv2DBackpropFilter(): void {
  overrideWasmKernel(Conv2DBackpropFilter, conv2DBackpropFilter);
}
