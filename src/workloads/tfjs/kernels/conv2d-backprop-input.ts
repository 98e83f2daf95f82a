import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  asWasm,
  disposeIntermediate,
  heapF32,
  overrideWasmKernel,
  runStockKernel,
  runWasmKernel,
  type WasmBackend,
} from './wasm-kernel-utils.js';

/**
 * Stock wasm Conv2DBackpropInput is a scalar loop (~9x slower than the equivalent forward conv;
 * it is the FORWARD pass of every transposed conv, e.g. a DCGAN generator). dx is computed with
 * XNNPACK convs instead:
 * - stride 1: one conv of dy, padded by K-1-pad, with the filter rotated 180 degrees and its
 *   in/out channels swapped;
 * - stride s > 1: a sub-pixel split. The output pixels h with (h + pad) mod s = p only receive
 *   taps k = p, p+s, p+2s, ... so each of the s*s phases is a stride-1 conv of the undilated dy
 *   with that sub-filter, scattered into dx with stride s: no multiplications by inserted zeros.
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  if (dataFormat === 'NCHW')
    throw new Error('wasm Conv2DBackpropInput supports only NHWC (channelsLast)');
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const g: Geometry = {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin: info.inChannels,
    cout: info.outChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
  // One output channel of dx leaves XNNPACK's GEMM mostly idle; the stock loop is faster there.
  if (g.cin < MIN_XNNPACK_CHANNELS)
    return runStockKernel(Conv2DBackpropInput, wasm, { dy, filter }, attrs);
  const direct = directPads(g);
  if (direct !== undefined) return phaseConv(wasm, dy, filter, g, 0, 0, direct, undefined);
  return phasesIntoDx(wasm, dy, filter, g);
};

/** Below this many dx channels the stock kernel wins (measured: 1 channel, 12 vs 43 ms). */
const MIN_XNNPACK_CHANNELS = 4;

interface Geometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  kh: number;
  kw: number;
  top: number;
  left: number;
}

type Pads = [number, number, number, number];

/** Stride 1 with non-negative pads: the conv output is dx itself. */
function directPads(g: Geometry): Pads | undefined {
  if (g.sh !== 1 || g.sw !== 1) return undefined;
  const top = g.kh - 1 - g.top;
  const left = g.kw - 1 - g.left;
  const bottom = g.h + g.kh - 1 - top - g.oh;
  const right = g.w + g.kw - 1 - left - g.ow;
  return top >= 0 && left >= 0 && bottom >= 0 && right >= 0
    ? [top, bottom, left, right]
    : undefined;
}

/**
 * Runs the stride-1 conv of phase (py, px): dy with the sub-filter of taps k = p + s*j, rotated
 * and channel-swapped, padded by `pads`. Without `scatter`, returns the conv output.
 */
function phaseConv(
  wasm: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Geometry,
  py: number,
  px: number,
  pads: Pads,
  scatter: ((out: TensorInfo) => void) | undefined,
): TensorInfo {
  const jh = Math.ceil((g.kh - py) / g.sh);
  const jw = Math.ceil((g.kw - px) / g.sw);
  const sub = wasm.makeOutput([jh, jw, g.cout, g.cin], 'float32');
  // View after the allocation: heap growth detaches older views.
  subFilter(heapF32(wasm, filter), heapF32(wasm, sub), g, py, px, jh, jw);
  let out: TensorInfo | undefined;
  try {
    out = runWasmKernel(
      'Conv2D',
      wasm,
      { x: dy, filter: sub },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [pads[0], pads[1]],
          [pads[2], pads[3]],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      },
    );
    if (scatter === undefined) return out;
    scatter(out);
    return out;
  } finally {
    disposeIntermediate(wasm, sub);
    if (scatter !== undefined && out !== undefined) disposeIntermediate(wasm, out);
  }
}

/**
 * Phase (py, px) computes the dx rows h = q*sh + py - top for q = 0, 1, ...: with the sub-filter
 * rotated and padded by jh-1 on top, conv output row q is exactly dx row h.
 */
function phasesIntoDx(
  wasm: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Geometry,
): TensorInfo {
  const dx = wasm.makeOutput([g.n, g.h, g.w, g.cin], 'float32');
  heapF32(wasm, dx).fill(0);
  for (let py = 0; py < g.sh; py++) {
    const jh = Math.ceil((g.kh - py) / g.sh);
    const rows = phaseCount(g.h, g.sh, py - g.top);
    if (jh <= 0 || rows.count === 0) continue; // no tap lands on these rows: dx stays 0
    for (let px = 0; px < g.sw; px++) {
      const jw = Math.ceil((g.kw - px) / g.sw);
      const cols = phaseCount(g.w, g.sw, px - g.left);
      if (jw <= 0 || cols.count === 0) continue;
      // Output rows 0..rows.last are needed; a conv with top pad jh-1 yields oh + bottom rows.
      const bottom = Math.max(0, rows.last + 1 - g.oh);
      const right = Math.max(0, cols.last + 1 - g.ow);
      phaseConv(wasm, dy, filter, g, py, px, [jh - 1, bottom, jw - 1, right], (out) => {
        scatterPhase(
          heapF32(wasm, out),
          heapF32(wasm, dx),
          g,
          out.shape,
          rows.first,
          cols.first,
          py,
          px,
        );
      });
    }
  }
  return dx;
}

/** For h = q*s + offset in [0, size): the first q, the last q and how many. */
function phaseCount(
  size: number,
  s: number,
  offset: number,
): { first: number; last: number; count: number } {
  const first = Math.max(0, Math.ceil(-offset / s));
  const last = Math.floor((size - 1 - offset) / s);
  return { first, last, count: Math.max(0, last - first + 1) };
}

/** dx[b, q*sh + py - top, r*sw + px - left, :] = out[b, q, r, :] for the rows/cols in range. */
function scatterPhase(
  out: Float32Array,
  dx: Float32Array,
  g: Geometry,
  outShape: number[],
  qFirst: number,
  rFirst: number,
  py: number,
  px: number,
): void {
  const [, outH, outW] = outShape as [number, number, number, number];
  const c = g.cin;
  for (let b = 0; b < g.n; b++) {
    for (let q = qFirst; q < outH; q++) {
      const y = q * g.sh + py - g.top;
      if (y >= g.h) break;
      for (let r = rFirst; r < outW; r++) {
        const x = r * g.sw + px - g.left;
        if (x >= g.w) break;
        const src = ((b * outH + q) * outW + r) * c;
        const dst = ((b * g.h + y) * g.w + x) * c;
        for (let k = 0; k < c; k++) dx[dst + k] = out[src + k]!;
      }
    }
  }
}

/** sub[j, i, co, ci] = filter[py + sh*(jh-1-j), px + sw*(jw-1-i), ci, co]. */
function subFilter(
  src: Float32Array,
  sub: Float32Array,
  g: Geometry,
  py: number,
  px: number,
  jh: number,
  jw: number,
): void {
  const { cin, cout } = g;
  for (let j = 0; j < jh; j++) {
    const ky = py + g.sh * (jh - 1 - j);
    for (let i = 0; i < jw; i++) {
      const kx = px + g.sw * (jw - 1 - i);
      const srcBase = (ky * g.kw + kx) * cin * cout;
      const subBase = (j * jw + i) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++)
          sub[subBase + co * cin + ci] = src[srcBase + ci * cout + co]!;
      }
    }
  }
}

export function registerConv2DBackpropInput(): void {
  overrideWasmKernel(Conv2DBackpropInput, conv2DBackpropInput);
}
