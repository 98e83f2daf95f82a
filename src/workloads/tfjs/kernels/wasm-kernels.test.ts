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

  it('Identity and same-dtype Cast share data; results outlive their source', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    // Shared data (the stock kernels copy into a new dataId).
    expect(b.dataId).toBe(a.dataId);
    expect(c.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    // Other casts still convert.
    const toInt = await onBoth(() => tf.cast(tf.tensor1d([1.7, -2.2, 0]), 'int32'));
    expect(toInt.wasm).toEqual(toInt.cpu);
    const back = await onBoth(() => tf.cast(tf.tensor1d([3, -1], 'int32'), 'float32'));
    expect(back.wasm).toEqual([3, -1]);
    const r = await onBoth(() =>
      tf.grad((t: tfType.Tensor) => tf.sum(tf.mul(tf.clone(t), tf.add(t, 1))))(rand([4, 3], 'id')),
    );
    expect(relativeError(r.wasm, r.cpu)).toBeLessThan(1e-6);
  });

  it('Sum over leading axes (bias gradients): row counts with and without a remainder of 4', async () => {
    for (const [shape, axis, keepDims] of [
      [[259, 5], [0], false],
      [[4, 8, 8, 3], [0, 1, 2], true],
      [[5, 7, 9, 2], [0, 1, 2], false],
    ] as const) {
      const r = await onBoth(() =>
        tf.sum(rand([...shape], `sum${shape.join()}`), [...axis], keepDims),
      );
      expect(relativeError(r.wasm, r.cpu), JSON.stringify(shape)).toBeLessThan(1e-6);
    }
  });

  it('MaxPoolGrad: ties go to the first max in row-major order, as on cpu', async () => {
    // Sizes 5 (odd: 2x2 windows leave a row/column out, or pad it) and 6 (tiled exactly);
    // values from {0, 1, 2}: many windows hold several equal maxima.
    for (const [size, channels] of [
      [5, 2],
      [6, 3],
    ] as const) {
      const shape: [number, number, number, number] = [2, size, size, channels];
      const x = Array.from(seededNormal(2 * size * size * channels, 'ties', size), (v) =>
        Math.min(2, Math.abs(Math.round(v))),
      );
      for (const [pool, stride, pad] of [
        [2, 2, 'valid'],
        [2, 2, 'same'],
        [2, 1, 'valid'],
        [3, 1, 'same'],
        [3, 2, 'same'],
      ] as const) {
        const r = await onBoth(() => {
          const pooled = (t: tfType.Tensor): tfType.Tensor =>
            tf.maxPool(t as tfType.Tensor4D, pool, stride, pad);
          const xs = tf.tensor4d(x, shape);
          const g = rand(pooled(xs).shape, 'g');
          return tf.grad((t: tfType.Tensor) => tf.sum(tf.mul(pooled(t), g)))(xs);
        });
        const at = JSON.stringify({ size, pool, stride, pad });
        // Same positions receive gradient; overlapping windows may sum in another order.
        expect(
          r.wasm.map((v) => v !== 0),
          at,
        ).toEqual(r.cpu.map((v) => v !== 0));
        expect(relativeError(r.wasm, r.cpu), at).toBeLessThan(1e-6);
      }
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

  it('Conv2DBackpropFilter: strides 1-3, same/valid/numeric pads, odd shapes, both routes', async () => {
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
      { k: [3, 3], s: 1, pad: 'valid', h: 7, w: 6, cin: 9 },
      { k: [3, 3], s: 1, pad: 'same', h: 6, w: 5, cin: 9 },
      { k: [5, 5], s: 2, pad: 'same', h: 8, w: 7, cin: 4 },
      { k: [3, 3], s: 2, pad: 'valid', h: 9, w: 8, cin: 9 },
      { k: [4, 4], s: 3, pad: 1, h: 10, w: 11, cin: 5 },
      // KH*KW*Cin <= 18: the im2col matmul route (the cases above take the conv route).
      { k: [3, 3], s: 1, pad: 'same', h: 6, w: 5, cin: 2 },
      { k: [3, 3], s: 2, pad: 'same', h: 7, w: 8, cin: 1 },
      { k: [3, 3], s: 2, pad: 'valid', h: 9, w: 8, cin: 2 },
      { k: [4, 4], s: 3, pad: 1, h: 10, w: 11, cin: 1 },
      { k: [2, 5], s: 1, pad: 2, h: 5, w: 6, cin: 1 },
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
