import { _FusedMatMul, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { swapLastTwo } from './batch-mat-mul.js';
import {
  asWasm,
  disposeIntermediate,
  overrideWasmKernel,
  runStockKernel,
} from './wasm-kernel-utils.js';

/**
 * Same problem as BatchMatMul: the fused (bias + activation) matmul of the wasm backend is
 * only fast without transposes. Layers call it untransposed, but user code may not.
 */
const fusedMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasm(backend);
  const { a, b, ...rest } = inputs as { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo>;
  const transposeA = attrs?.['transposeA'] === true;
  const transposeB = attrs?.['transposeB'] === true;
  if (!transposeA && !transposeB)
    return runStockKernel(_FusedMatMul, wasm, inputs as Record<string, TensorInfo>, attrs);
  const temps: TensorInfo[] = [];
  const a2 = transposeA ? swapLastTwo(wasm, a, temps) : a;
  const b2 = transposeB ? swapLastTwo(wasm, b, temps) : b;
  try {
    return runStockKernel(
      _FusedMatMul,
      wasm,
      { ...rest, a: a2, b: b2 },
      { ...attrs, transposeA: false, transposeB: false },
    );
  } finally {
    disposeIntermediate(wasm, ...temps);
  }
};

export function registerFusedMatMul(): void {
  overrideWasmKernel(_FusedMatMul, fusedMatMul);
}
