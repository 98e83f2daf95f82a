import {
  Slice,
  slice_util,
  util,
  type KernelFunc,
  type SliceAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  asWasm,
  overrideWasmKernel,
  runStockKernel,
  type WasmBackend,
} from './wasm-kernel-utils.js';

/**
 * Stock wasm Slice reads the WHOLE source tensor back to JS on every call (slicing a batch out
 * of a dataset tensor copied the full dataset per batch). This copies only the requested
 * elements, straight between heap views. Strings keep the stock path.
 */
const slice: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStockKernel(Slice, wasm, { x }, attrs);
  const { begin, size } = attrs as unknown as SliceAttrs;
  const [begin_, size_] = slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
  return sliceFromHeap(wasm, x, begin_, size_);
};

/**
 * Copies the box [begin, begin + size) of a numeric tensor into a new tensor (begin and size
 * fully specified). Also used by our Unpack and SplitV: the stock ones call the stock slice
 * directly, not through the kernel registry.
 */
export function sliceFromHeap(
  wasm: WasmBackend,
  x: TensorInfo,
  begin_: number[],
  size_: number[],
): TensorInfo {
  const out = wasm.makeOutput([...size_], x.dtype);
  if (util.sizeFromShape(size_) === 0) return out;
  // Views after makeOutput: the allocation may have grown (and detached) the heap.
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const strides = util.computeStrides(x.shape);
  if (slice_util.isSliceContinous(x.shape, begin_, size_)) {
    const offset = slice_util.computeFlatOffset(begin_, strides);
    dst.set(src.subarray(offset, offset + dst.length));
    return out;
  }
  copyBlock(src, dst, x.shape, strides, begin_, size_);
  return out;
}

/** Copies the [begin, begin+size) box row by row (innermost axis contiguous). */
function copyBlock(
  src: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  dst: { set(a: ArrayLike<number>, offset: number): void },
  shape: number[],
  strides: number[],
  begin: number[],
  size: number[],
): void {
  const rank = shape.length;
  const rowLen = size[rank - 1]!;
  const rows = util.sizeFromShape(size.slice(0, rank - 1));
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let dstOffset = 0;
  for (let r = 0; r < rows; r++) {
    let srcOffset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) srcOffset += (begin[d]! + index[d]!) * strides[d]!;
    dst.set(src.subarray(srcOffset, srcOffset + rowLen), dstOffset);
    dstOffset += rowLen;
    // Odometer increment over the outer axes.
    for (let d = rank - 2; d >= 0; d--) {
      index[d] = index[d]! + 1;
      if (index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

export function registerSlice(): void {
  overrideWasmKernel(Slice, slice);
}
