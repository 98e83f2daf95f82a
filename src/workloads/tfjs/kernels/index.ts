import {
  BatchMatMul,
  Cast,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Identity,
  MaxPoolGrad,
  Slice,
  SplitV,
  Sum,
  Tile,
  UnsortedSegmentSum,
  Unpack,
  _FusedMatMul,
} from '@tensorflow/tfjs-core';
import { registerBatchMatMul } from './batch-mat-mul.js';
import { registerCast } from './cast.js';
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { registerConv2DBackpropInput } from './conv2d-backprop-input.js';
import { registerFusedMatMul } from './fused-mat-mul.js';
import { registerIdentity } from './identity.js';
import { registerMaxPoolGrad } from './max-pool-grad.js';
import { registerSlice } from './slice.js';
import { registerSplitV } from './split-v.js';
import { registerSum } from './sum.js';
import { registerTile } from './tile.js';
import { registerUnpack } from './unpack.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';
import { restoreWasmKernel } from './wasm-kernel-utils.js';

/** Kernels we replace or add on the wasm backend (see docs/tfjs.md for why each). */
export const WASM_KERNEL_FIXES: readonly string[] = [
  BatchMatMul,
  _FusedMatMul,
  Cast,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  Identity,
  MaxPoolGrad,
  Slice,
  SplitV,
  Sum,
  Tile,
  Unpack,
  UnsortedSegmentSum,
];

let registered = false;

/** Registers our wasm kernels (idempotent). Safe before or after `setBackend('wasm')`. */
export function registerWasmKernelFixes(): void {
  if (registered) return;
  registerBatchMatMul();
  registerFusedMatMul();
  registerCast();
  registerConv2DBackpropFilter();
  registerConv2DBackpropInput();
  registerIdentity();
  registerMaxPoolGrad();
  registerSlice();
  registerSplitV();
  registerSum();
  registerTile();
  registerUnpack();
  registerUnsortedSegmentSum();
  registered = true;
}

/** Puts the stock wasm kernels back (for A/B benchmarks and tests). */
export function unregisterWasmKernelFixes(): void {
  if (!registered) return;
  for (const name of WASM_KERNEL_FIXES) restoreWasmKernel(name);
  registered = false;
}

export function wasmKernelFixesRegistered(): boolean {
  return registered;
}
