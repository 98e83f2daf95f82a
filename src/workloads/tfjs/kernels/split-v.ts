import {
  backend_util,
  SplitV,
  util,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { sliceFromHeap } from './slice.js';
import { asWasm, overrideWasmKernel, runStockKernel } from './wasm-kernel-utils.js';

/**
 * tf.split (GRU/LSTM gates) calls the stock slice directly, which reads the whole tensor back
 * once per piece; each piece here copies only its own elements.
 */
const splitV: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStockKernel(SplitV, wasm, { x }, attrs);
  const { numOrSizeSplits, axis } = attrs as unknown as {
    numOrSizeSplits: number[] | number;
    axis: number;
  };
  const $axis = util.parseAxisParam(axis, x.shape)[0]!;
  const splitSizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const size = x.shape.slice();
  return splitSizes.map((s) => {
    size[$axis] = s;
    const piece = sliceFromHeap(wasm, x, begin, size);
    begin[$axis] = begin[$axis]! + s;
    return piece;
  });
};

export function registerSplitV(): void {
  overrideWasmKernel(SplitV, splitV);
}
