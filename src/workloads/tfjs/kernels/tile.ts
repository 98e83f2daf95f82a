import { Tile, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, overrideWasmKernel, runStockKernel } from './wasm-kernel-utils.js';

/**
 * Stock wasm Tile computes every output index with heap-allocated vectors (~100 ns per
 * element): the batchnorm gradient tiles its [C] statistics over the whole activation, 60-90 ms
 * per layer and step in a DCGAN. Here the first copy of each block is built recursively and then
 * replicated with copyWithin (memmove).
 */
const tile: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStockKernel(Tile, wasm, { x }, attrs);
  const reps = attrs?.['reps'] as number[];
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = wasm.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  if (rank === 0) {
    wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(x));
    return out;
  }
  // Views after the allocation (heap growth detaches older views).
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  const xStrides = [...util.computeStrides(x.shape), 1];
  const outStrides = [...util.computeStrides(outShape), 1];
  const fill = (dim: number, outOffset: number, xOffset: number): void => {
    const n = x.shape[dim]!;
    if (dim === rank - 1) {
      dst.set(src.subarray(xOffset, xOffset + n), outOffset);
    } else {
      for (let i = 0; i < n; i++)
        fill(dim + 1, outOffset + i * outStrides[dim]!, xOffset + i * xStrides[dim]!);
    }
    const block = n * outStrides[dim]!;
    for (let r = 1; r < reps[dim]!; r++)
      dst.copyWithin(outOffset + r * block, outOffset, outOffset + block);
  };
  fill(0, 0, 0);
  return out;
};

export function registerTile(): void {
  overrideWasmKernel(Tile, tile);
}
