import type * as tfType from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { relativeError, seededNormal } from '../test-helpers.js';
import {
  unregisterWasmKernelFixes,
  registerWasmKernelFixes,
  wasmKernelFixesRegistered,
} from './index.js';

// Kernel-level checks of our wasm kernels against the cpu backend, on the edge cases the layer
// gradient tests do not reach (ties, odd paddings, int dtypes, out-of-range ids, broadcasting).
let tf: typeof tfType;

beforeAll(async () => {
  ({ tf } = await initBackend('wasm'));
});

/** Runs `f` on wasm and on cpu; returns both results as plain arrays. */
async function onBoth(
  f: () => tfType.Tensor,
): Promise<{ wasm: number[]; cpu: number[]; shape: number[] }> {
  await tf.setBackend('wasm');
  const w = tf.tidy(f);
  const wasm = Array.from(w.dataSync());
  const shape = w.shape;
  w.dispose();
  await tf.setBackend('cpu');
  const c = tf.tidy(f);
  const cpu = Array.from(c.dataSync());
  expect(c.shape).toEqual(shape);
  c.dispose();
  await tf.setBackend('wasm');
  return { wasm, cpu, shape };
}

const rand = (shape: number[], seed: string): tfType.Tensor =>
  tf.tensor(
    seededNormal(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

describe('wasm kernel fixes', () => {
  it('are registered by initBackend and can be removed and restored', async () => {
    expect(wasmKernelFixesRegistered()).toBe(true);
    unregisterWasmKernelFixes();
    await tf.setBackend('wasm');
    expect(() => tf.unsortedSegmentSum(tf.ones([2, 2]), tf.tensor1d([0, 1], 'int32'), 2)).toThrow(
      /not registered/,
    );
    registerWasmKernelFixes();
    expect(tf.unsortedSegmentSum(tf.ones([2, 2]), tf.tensor1d([0, 1], 'int32'), 2).shape).toEqual([
      2, 2,
    ]);
  });

  it('BatchMatMul: every transpose combination, with batch broadcasting', async () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const r = await onBoth(() => {
        const a = rand(ta ? [1, 5, 3] : [1, 3, 5], `a${ta}`);
        const b = rand(tb ? [4, 2, 5] : [4, 5, 2], `b${tb}`);
        return tf.matMul(a, b, ta, tb);
      });
      expect(r.shape).toEqual([4, 3, 2]);
      expect(relativeError(r.wasm, r.cpu)).toBeLessThan(1e-6);
    }
  });

  it('_FusedMatMul with transposes, bias and relu', async () => {
    const r = await onBoth(() =>
      tf.fused.matMul({
        a: rand([6, 3], 'fa'),
        b: rand([4, 6], 'fb'),
        transposeA: true,
        transposeB: true,
        bias: rand([4], 'bias'),
        activation: 'relu',
      }),
    );
    expect(relativeError(r.wasm, r.cpu)).toBeLessThan(1e-6);
  });

  it('Slice: contiguous and strided boxes, ranks 1-5, int32 and bool', async () => {
    const cases: [number[], number[], number[]][] = [
      [[10], [3], [4]],
      [
        [6, 5],
        [2, 0],
        [3, 5],
      ],
      [
        [6, 5],
        [1, 2],
        [4, 2],
      ],
      [
        [3, 4, 5],
        [1, 1, 1],
        [2, 2, 3],
      ],
      [
        [2, 3, 4, 5],
        [1, 0, 2, 1],
        [1, 3, 2, 4],
      ],
      [
        [2, 3, 2, 3, 4],
        [0, 1, 0, 1, 1],
        [2, 2, 2, 2, 2],
      ],
    ];
    for (const [shape, begin, size] of cases) {
      const f = await onBoth(() => tf.slice(rand(shape, `s${shape.join()}`), begin, size));
      expect(f.wasm).toEqual(f.cpu);
      const i = await onBoth(() =>
        tf.slice(
          tf
            .range(
              0,
              shape.reduce((a, b) => a * b, 1),
              1,
              'int32',
            )
            .reshape(shape),
          begin,
          size,
        ),
      );
      expect(i.wasm).toEqual(i.cpu);
    }
    const b = await onBoth(() =>
      tf.slice(tf.tensor2d([1, 0, 1, 1, 0, 0], [2, 3], 'bool'), [0, 1], [2, 2]),
    );
    expect(b.wasm).toEqual(b.cpu);
  });

  it('Unpack and SplitV (RNN step loops, GRU gates) on every axis', async () => {
    for (const axis of [0, 1, 2, -1]) {
      const u = await onBoth(() =>
        tf.concat(tf.unstack(rand([3, 4, 5], 'u'), axis).map((t) => t.flatten())),
      );
      expect(u.wasm).toEqual(u.cpu);
      const s = await onBoth(() =>
        tf.concat(
          tf.split(rand([6, 4, 6], 'sp'), [1, 3, 2], axis === 1 ? 0 : axis).map((t) => t.flatten()),
        ),
      );
      expect(s.wasm).toEqual(s.cpu);
      const e = await onBoth(() =>
        tf.concat(tf.split(rand([6, 4, 6], 'sp'), 2, axis).map((t) => t.flatten())),
      );
      expect(e.wasm).toEqual(e.cpu);
    }
    const shapes = await onBoth(() =>
      tf.tensor(tf.unstack(tf.ones([2, 3, 4]), 1).map((t) => t.shape.length)),
    );
    expect(shapes.wasm).toEqual([2, 2, 2]);
  });

  it('Tile: ranks 0-4, float32, int32 and bool, repeats of 1 included', async () => {
    const cases: [number[], number[]][] = [
      [[], []],
      [[3], [4]],
      [
        [2, 3],
        [1, 2],
      ],
      [
        [1, 1, 1, 5],
        [2, 3, 2, 1],
      ],
      [
        [2, 1, 3],
        [3, 4, 2],
      ],
    ];
    for (const [shape, reps] of cases) {
      const f = await onBoth(() => tf.tile(rand(shape, `t${shape.join()}`), reps));
      expect(f.wasm).toEqual(f.cpu);
      const size = shape.reduce((a, b) => a * b, 1);
      const i = await onBoth(() => tf.tile(tf.range(0, size, 1, 'int32').reshape(shape), reps));
      expect(i.wasm).toEqual(i.cpu);
    }
    const b = await onBoth(() => tf.tile(tf.tensor2d([1, 0, 0, 1], [2, 2], 'bool'), [2, 3]));
    expect(b.wasm).toEqual(b.cpu);
  });

  it('UnsortedSegmentSum: repeated and out-of-range ids, float32 and int32', async () => {
    const ids = [2, 0, 2, 5, -1, 1];
    const f = await onBoth(() =>
      tf.unsortedSegmentSum(rand([6, 3], 'seg'), tf.tensor1d(ids, 'int32'), 4),
    );
    expect(f.shape).toEqual([4, 3]);
    expect(relativeError(f.wasm, f.cpu)).toBeLessThan(1e-6);
    const i = await onBoth(() =>
      tf.unsortedSegmentSum(
        tf.range(0, 12, 1, 'int32').reshape([6, 2]),
        tf.tensor1d(ids, 'int32'),
        3,
      ),
    );
    expect(i.wasm).toEqual(i.cpu);
  });

  it('MaxPoolGrad: ties go to the first max in row-major order, as on cpu', async () => {
    // Values from {0, 1, 2}: many windows hold several equal maxima.
    const x = Array.from(seededNormal(2 * 5 * 5 * 2, 'ties'), (v) =>
      Math.min(2, Math.abs(Math.round(v))),
    );
    for (const [pool, stride, pad] of [
      [2, 2, 'valid'],
      [3, 1, 'same'],
      [3, 2, 'same'],
    ] as const) {
      const r = await onBoth(() => {
        const pooled = (t: tfType.Tensor): tfType.Tensor =>
          tf.maxPool(t as tfType.Tensor4D, pool, stride, pad);
        const xs = tf.tensor4d(x, [2, 5, 5, 2]);
        const g = rand(pooled(xs).shape, 'g');
        return tf.grad((t: tfType.Tensor) => tf.sum(tf.mul(pooled(t), g)))(xs);
      });
      // Same positions receive gradient; overlapping windows may sum in another order.
      expect(r.wasm.map((v) => v !== 0)).toEqual(r.cpu.map((v) => v !== 0));
      expect(relativeError(r.wasm, r.cpu)).toBeLessThan(1e-6);
    }
  });

  it('Conv2DBackpropInput: explicit, numeric and large pads, strides 1-3, kernels smaller than the stride', async () => {
    const cases: { k: number; s: number; pad: 'same' | 'valid' | number; h: number }[] = [
      { k: 3, s: 1, pad: 'same', h: 5 },
      { k: 2, s: 3, pad: 'valid', h: 7 },
      { k: 4, s: 2, pad: 1, h: 6 },
      { k: 2, s: 1, pad: 2, h: 4 },
      { k: 3, s: 2, pad: 'same', h: 6 },
      { k: 5, s: 2, pad: 'same', h: 7 },
      { k: 1, s: 3, pad: 'valid', h: 8 },
      { k: 5, s: 3, pad: 3, h: 9 },
    ];
    for (const c of cases) {
      const r = await onBoth(() => {
        // 4+ input channels: dx goes through our XNNPACK phases, not the stock fallback.
        const x = rand([2, c.h, c.h, 4], `x${c.k}${c.s}`);
        const f = rand([c.k, c.k, 4, 3], `f${c.k}${c.s}`);
        const y = tf.conv2d(x as tfType.Tensor4D, f as tfType.Tensor4D, c.s, c.pad);
        const g = rand(y.shape, 'dy');
        const [dx, df] = tf.grads((xx: tfType.Tensor, ff: tfType.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(xx as tfType.Tensor4D, ff as tfType.Tensor4D, c.s, c.pad), g)),
        )([x, f]);
        return tf.concat([dx!.flatten(), df!.flatten()]);
      });
      expect(relativeError(r.wasm, r.cpu), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });

  it('Conv2DBackpropFilter: strides 1-3, same/valid/numeric pads, odd shapes', async () => {
    const cases: {
      k: [number, number];
      s: number;
      pad: 'same' | 'valid' | number;
      h: number;
      w: number;
      cin: number;
    }[] = [
      { k: [3, 3], s: 1, pad: 'same', h: 6, w: 5, cin: 3 },
      { k: [3, 2], s: 1, pad: 'valid', h: 6, w: 7, cin: 1 },
      { k: [5, 5], s: 2, pad: 'same', h: 8, w: 7, cin: 2 },
      { k: [3, 3], s: 2, pad: 'valid', h: 9, w: 8, cin: 3 },
      { k: [4, 4], s: 3, pad: 1, h: 10, w: 10, cin: 2 },
    ];
    for (const c of cases) {
      const r = await onBoth(() => {
        const x = rand([3, c.h, c.w, c.cin], `bx${c.h}`);
        const f = rand([...c.k, c.cin, 4], `bf${c.h}`);
        const conv = (ff: tfType.Tensor): tfType.Tensor =>
          tf.conv2d(x as tfType.Tensor4D, ff as tfType.Tensor4D, c.s, c.pad);
        const g = rand(conv(f).shape, 'bdy');
        return tf.grad((ff: tfType.Tensor) => tf.sum(tf.mul(conv(ff), g)))(f);
      });
      expect(relativeError(r.wasm, r.cpu), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });
});
