import { afterEach, describe, expect, it } from 'vitest';
import { PbtError } from '../../engine/core/errors.js';
import { initBackend } from './backend.js';

describe('initBackend', () => {
  afterEach(() => {
    delete process.env['PBT_TFJS_BACKEND'];
  });

  it('picks wasm here (tfjs-node is not installed) and reports the name in use', async () => {
    const { name, tf } = await initBackend();
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).toBe(true);
  });

  it('honours a forced backend', async () => {
    const { name, tf } = await initBackend('cpu');
    expect(name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env['PBT_TFJS_BACKEND'] = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
  });

  it('fails clearly when the forced backend is unavailable', async () => {
    const err = await initBackend('node').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PbtError);
    expect((err as PbtError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as PbtError).message).toMatch(/'node'.*tfjs-node is not installed/);
    process.env['PBT_TFJS_BACKEND'] = 'gpu';
    await expect(initBackend()).rejects.toThrow(/PBT_TFJS_BACKEND='gpu'/);
  });
});
