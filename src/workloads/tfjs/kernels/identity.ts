import { Identity, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { asWasm, overrideWasmKernel, runStockKernel } from './wasm-kernel-utils.js';

/**
 * Stock wasm Identity copies the tensor. Gradients of adds and reshapes, and the optimizer, call
 * it on whole activations (~5 ms of a CNN step on [128,26,26,32] copies). Data on the heap is
 * never written in place, so the output can share it, as the cpu and webgl backends do.
 */
const identity: KernelFunc = ({ inputs, backend }) => {
  const wasm = asWasm(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStockKernel(Identity, wasm, { x });
  wasm.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export function registerIdentity(): void {
  overrideWasmKernel(Identity, identity);
}
