import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  type backend_util,
} from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` (4.22.0) our kernels use. These are internal
 * APIs: tfjs is pinned exactly, and the gradient checks against the cpu backend guard them.
 */
export interface WasmBackend {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  /** Allocates the output on the wasm heap (may grow the heap: take heap views afterwards). */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view of the tensor's bytes on the wasm heap; detached when the heap grows. */
  typedArrayFromHeap(t: TensorInfo): backend_util.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
  /** One more tensor shares this data (a kernel returning its input's dataId). */
  incRef(dataId: object): void;
  readSync(dataId: object): backend_util.BackendValues;
}

export const WASM = 'wasm';

export function asWasm(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/** Stock wasm kernels we replaced, kept so our versions can delegate to them. */
const stockKernels = new Map<string, KernelConfig>();

function getKernelOrUndefined(kernelName: string): KernelConfig | undefined {
  // getKernel returns undefined for a missing kernel in 4.22 (typed as always present).
  return getKernel(kernelName, WASM);
}

/**
 * Replaces (or adds) a wasm kernel. The stock kernel's setupFunc is chained: tfjs runs
 * setupFuncs on `setBackend`, and the stock kernel we delegate to needs its wasm bindings.
 */
export function overrideWasmKernel(kernelName: string, kernelFunc: KernelFunc): void {
  const current = getKernelOrUndefined(kernelName);
  if (current !== undefined && !stockKernels.has(kernelName)) stockKernels.set(kernelName, current);
  if (current !== undefined) unregisterKernel(kernelName, WASM);
  const stock = stockKernels.get(kernelName);
  const config: KernelConfig = { kernelName, backendName: WASM, kernelFunc };
  if (stock?.setupFunc !== undefined) config.setupFunc = stock.setupFunc;
  if (stock?.disposeFunc !== undefined) config.disposeFunc = stock.disposeFunc;
  registerKernel(config);
}

/** Puts the stock kernels back (or removes kernels that did not exist). */
export function restoreWasmKernel(kernelName: string): void {
  if (getKernelOrUndefined(kernelName) !== undefined) unregisterKernel(kernelName, WASM);
  const stock = stockKernels.get(kernelName);
  if (stock !== undefined) registerKernel(stock);
  stockKernels.delete(kernelName);
}

/** Runs the currently registered wasm kernel `kernelName` (ours or stock). */
export function runWasmKernel(
  kernelName: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernelOrUndefined(kernelName);
  if (kernel === undefined) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return single(kernel.kernelFunc({ inputs, backend: backend, attrs }));
}

/** Runs the stock kernel we replaced (it must exist). */
export function runStockKernel(
  kernelName: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = stockKernels.get(kernelName);
  if (kernel === undefined) throw new Error(`no stock wasm kernel ${kernelName} to fall back to`);
  return single(kernel.kernelFunc({ inputs, backend: backend, attrs }));
}

function single(out: TensorInfo | TensorInfo[]): TensorInfo {
  if (Array.isArray(out)) {
    const [first] = out;
    if (out.length !== 1 || first === undefined) throw new Error('expected one kernel output');
    return first;
  }
  return out;
}

/** Releases intermediate kernel outputs (refcounted: reshapes share data). */
export function disposeIntermediate(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Float32 view of a tensor on the heap; call only after every allocation of the kernel. */
export function heapF32(backend: WasmBackend, t: TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(t);
  if (!(view instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  return view;
}
