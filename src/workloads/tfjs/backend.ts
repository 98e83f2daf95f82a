import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PbtError } from '../../engine/core/errors.js';
import { registerWasmKernelFixes } from './kernels/index.js';

export type BackendPreference = 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend actually in use: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  readonly name: string;
  readonly tf: typeof tf;
}

export interface InitBackendOptions {
  /** Register our wasm kernel fixes (default true; the bench turns them off for an A/B run). */
  readonly kernelFixes?: boolean;
}

/** tfjs-node registers its backend under this name. */
const NODE_BACKEND = 'tensorflow';
const PREFERENCES: readonly BackendPreference[] = ['node', 'wasm', 'cpu'];

let wasmPathsSet = false;

/**
 * Selects the fastest available TensorFlow.js backend: tfjs-node when installed (optional: its
 * install downloads a native library), else wasm (SIMD build, with our kernel fixes), else cpu.
 * `preferred` (or the PBT_TFJS_BACKEND environment variable) forces one; if it is unavailable
 * this throws a PbtError with code 'BACKEND_UNAVAILABLE' rather than silently running slower.
 */
export async function initBackend(
  preferred?: BackendPreference,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const forced = preferred ?? preferenceFromEnv();
  const order = forced === undefined ? PREFERENCES : [forced];
  const failures: string[] = [];
  for (const candidate of order) {
    const error = await tryBackend(candidate, options);
    if (error === undefined) return { name: tf.getBackend(), tf };
    failures.push(`${candidate}: ${error}`);
  }
  if (forced !== undefined) {
    throw new PbtError(
      'BACKEND_UNAVAILABLE',
      `TensorFlow.js backend '${forced}' is not available (${failures.join('; ')}). ` +
        `Choose another backend or leave it unset to pick the fastest available one.`,
    );
  }
  throw new PbtError(
    'BACKEND_UNAVAILABLE',
    `no TensorFlow.js backend could start: ${failures.join('; ')}`,
  );
}

function preferenceFromEnv(): BackendPreference | undefined {
  const raw = process.env['PBT_TFJS_BACKEND'];
  if (raw === undefined || raw === '') return undefined;
  if ((PREFERENCES as readonly string[]).includes(raw)) return raw as BackendPreference;
  throw new PbtError(
    'BACKEND_UNAVAILABLE',
    `PBT_TFJS_BACKEND='${raw}' is not a backend; use one of ${PREFERENCES.join(', ')}`,
  );
}

/** Returns undefined when `candidate` is now the active backend, else why it is not. */
async function tryBackend(
  candidate: BackendPreference,
  options: InitBackendOptions,
): Promise<string | undefined> {
  try {
    switch (candidate) {
      case 'node':
        return await tryNode();
      case 'wasm':
        return await tryWasm(options.kernelFixes ?? true);
      case 'cpu':
        return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend failed to start';
    }
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function tryNode(): Promise<string | undefined> {
  // A non-literal specifier: the package is optional and absent from our dependencies.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch {
    return `${specifier} is not installed`;
  }
  // tfjs-node must share our tfjs-core instance, or it registers into a different engine.
  if (tf.findBackendFactory(NODE_BACKEND) === null) {
    return `${specifier} is installed but registered with another copy of @tensorflow/tfjs-core (versions differ?)`;
  }
  return (await tf.setBackend(NODE_BACKEND)) ? undefined : 'the tfjs-node backend failed to start';
}

async function tryWasm(kernelFixes: boolean): Promise<string | undefined> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet && isNode()) {
    // In Node the .wasm binaries are read from the package's dist folder (SIMD build when the
    // runtime supports it, which Node 20 does).
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(main) + path.sep);
    wasmPathsSet = true;
  }
  if (kernelFixes) registerWasmKernelFixes();
  return (await tf.setBackend('wasm')) ? undefined : 'the wasm backend failed to start';
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions.node === 'string';
}
