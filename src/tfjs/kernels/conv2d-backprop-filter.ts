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
 * is a forward Conv2D (XNNPACK) of x^T [Cin, Hp, Wp, N] with the "filter" dy^T [OH, OW, N, Cout]
 * at dilation = the forward stride, 'valid' padding. The layout passes (padding + transposes)
 * are JS loops on the heap: the wasm Transpose kernel took 8-12 ms for some of these
 * permutations where JS takes 1-2 ms. (An im2col + matmul route was measured too: slower on
 * most shapes we tried, 3x3 and 5x5, strides 1 and 2, 1 to 64 input channels.)
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
  return convFilterGrad(wasm, x, dy, g);
};

function convFilterGrad(wasm: WasmBackend, x: TensorInfo, dy: TensorInfo, g: Geometry): TensorInfo {
  const { kh, kw, sh, sw, oh, ow, cin, cout, n } = g;
  // Padded extent the forward conv reads: rows [0, (OH-1)*s + KH) of the padded input.
  const hp = (oh - 1) * sh + kh;
  const wp = (ow - 1) * sw + kw;
  const xt = wasm.makeOutput([cin, hp, wp, n], 'float32');
  const dyt = wasm.makeOutput([oh, ow, n, cout], 'float32');
  let conv: TensorInfo | undefined;
  try {
    // Views only after both allocations (heap growth detaches older views).
    padAndTransposeX(heapF32(wasm, x), heapF32(wasm, xt), g, hp, wp);
    transposeDy(heapF32(wasm, dy), heapF32(wasm, dyt), g);
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
    disposeIntermediate(wasm, xt, dyt);
    if (conv !== undefined) disposeIntermediate(wasm, conv);
  }
}

/** xt[ci, y, x, b] = x[b, y - top, x - left, ci], zero outside x. */
function padAndTransposeX(
  x: Float32Array,
  xt: Float32Array,
  g: Geometry,
  hp: number,
  wp: number,
): void {
  const { h, w, cin, n, top, left } = g;
  xt.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const ty = y + top;
      if (ty >= hp) break;
      for (let xx = 0; xx < w; xx++) {
        const tx = xx + left;
        if (tx >= wp) break;
        const src = ((b * h + y) * w + xx) * cin;
        let dst = (ty * wp + tx) * n + b;
        const plane = hp * wp * n;
        for (let ci = 0; ci < cin; ci++, dst += plane) xt[dst] = x[src + ci]!;
      }
    }
  }
}

/** dyt[oy, ox, b, :] = dy[b, oy, ox, :] (contiguous runs of Cout). */
function transposeDy(dy: Float32Array, dyt: Float32Array, g: Geometry): void {
  const { oh, ow, n, cout } = g;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < oh * ow; p++) {
      const src = (b * oh * ow + p) * cout;
      const dst = (p * n + b) * cout;
      for (let c = 0; c < cout; c++) dyt[dst + c] = dy[src + c]!;
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
