import { Cast, type DataType, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, overrideWasmKernel, runStockKernel } from './wasm-kernel-utils.js';

/**
 * Stock wasm Cast copies even when the dtype does not change, and every ReLU gradient casts its
 * float32 mask to float32 (1-2 ms per [128,26,26,32] activation). Same dtype: share the data,
 * as the Identity kernel does; other casts change the bytes and keep the stock kernel.
 */
const cast: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { x } = inputs as { x: TensorInfo };
  const dtype = attrs?.['dtype'] as DataType;
  if (dtype !== x.dtype || dtype === 'string') return runStockKernel(Cast, wasm, { x }, attrs);
  wasm.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
};

export function registerCast(): void {
  overrideWasmKernel(Cast, cast);
}
