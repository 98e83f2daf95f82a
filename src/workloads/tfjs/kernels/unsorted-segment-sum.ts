import {
  UnsortedSegmentSum,
  util,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { asWasm, overrideWasmKernel } from './wasm-kernel-utils.js';

/**
 * Missing on wasm; the gradient of tf.gather (every embedding layer) needs it. A scatter-add of
 * x's rows into their segments, on heap views. Ids outside [0, numSegments) are dropped, as in
 * TensorFlow.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const idsRank = segmentIds.shape.length;
  const rowShape = x.shape.slice(idsRank);
  const rowLen = util.sizeFromShape(rowShape);
  const rows = util.sizeFromShape(segmentIds.shape);
  const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
  // Views only after the output exists: its allocation can grow the heap and detach views.
  const src = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const dst = wasm.typedArrayFromHeap(out);
  dst.fill(0);
  for (let r = 0; r < rows; r++) {
    const id = ids[r]!;
    if (id < 0 || id >= numSegments) continue;
    const s = r * rowLen;
    const d = id * rowLen;
    for (let k = 0; k < rowLen; k++) dst[d + k] = dst[d + k]! + src[s + k]!;
  }
  return out;
};

export function registerUnsortedSegmentSum(): void {
  overrideWasmKernel(UnsortedSegmentSum, unsortedSegmentSum);
}
