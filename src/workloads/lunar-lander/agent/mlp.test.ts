import { describe, expect, it } from 'vitest';
import { createRng } from '../../../engine/core/rng.js';
import { adamStep, createAdam } from './adam.js';
import { Mlp } from './mlp.js';

/** L(out) = Σ c_j·out_j + ½ Σ out_j², so ∂L/∂out = c + out. */
function loss(net: Mlp, params: Float64Array, x: ArrayLike<number>, c: readonly number[]): number {
  const out = net.forward(params, x);
  let l = 0;
  out.forEach((o, j) => (l += (c[j] ?? 0) * o + 0.5 * o * o));
  return l;
}

describe('Mlp', () => {
  it('backward matches central finite differences for every parameter', () => {
    const net = new Mlp([5, 7, 6, 3]);
    const rng = createRng('grad-check');
    const params = net.init(rng);
    // Non-zero biases so that no hidden unit sits exactly at the ReLU kink.
    for (let i = 0; i < params.length; i++) params[i] = (params[i] ?? 0) + 0.05 * rng.normal();
    const x = [0.3, -1.2, 0.8, 0.05, -0.4];
    const c = [0.7, -1.1, 0.4];

    const out = net.forward(params, x);
    const grad = new Float64Array(net.paramCount);
    net.backward(
      params,
      out.map((o, j) => (c[j] ?? 0) + o),
      grad,
    );

    const h = 1e-6;
    let worst = 0;
    for (let i = 0; i < params.length; i++) {
      const keep = params[i] ?? 0;
      params[i] = keep + h;
      const up = loss(net, params, x, c);
      params[i] = keep - h;
      const down = loss(net, params, x, c);
      params[i] = keep;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - (grad[i] ?? 0)) / Math.max(1, Math.abs(numeric)));
    }
    expect(net.paramCount).toBe(5 * 7 + 7 + 7 * 6 + 6 + 6 * 3 + 3);
    expect(worst).toBeLessThan(1e-6);
  });

  it('backward accumulates into the gradient buffer', () => {
    const net = new Mlp([2, 3, 1]);
    const params = net.init(createRng('acc'));
    const once = new Float64Array(net.paramCount);
    net.forward(params, [0.5, -0.25]);
    net.backward(params, [1], once);
    const twice = new Float64Array(net.paramCount);
    net.backward(params, [1], twice);
    net.backward(params, [1], twice);
    expect(Array.from(twice)).toEqual(Array.from(once).map((g) => 2 * g));
  });

  it('is seeded: the same rng seed gives the same weights, another seed different ones', () => {
    const net = new Mlp([8, 16, 4]);
    expect(Array.from(net.init(createRng('s', 1)))).toEqual(
      Array.from(net.init(createRng('s', 1))),
    );
    expect(Array.from(net.init(createRng('s', 1)))).not.toEqual(
      Array.from(net.init(createRng('s', 2))),
    );
  });

  it('rejects impossible shapes with a clear error', () => {
    expect(() => new Mlp([8])).toThrow(/at least an input and an output/);
    expect(() => new Mlp([8, 0, 4])).toThrow(/positive integers/);
  });
});

describe('adamStep', () => {
  it('matches the textbook update with bias correction', () => {
    const params = Float64Array.from([1, -2]);
    const grad = Float64Array.from([0.5, -3]);
    const state = createAdam(2);
    const lr = 0.1;
    adamStep(state, params, grad, lr);
    adamStep(state, params, grad, lr);
    // Two steps with a constant gradient: m̂ = g, v̂ = g², so each step moves lr·g/(|g| + ε).
    expect(params[0]).toBeCloseTo(1 - 2 * lr, 6);
    expect(params[1]).toBeCloseTo(-2 + 2 * lr, 6);
    expect(state.t).toBe(2);
  });

  it('fits a small regression with the MLP', () => {
    const net = new Mlp([1, 16, 1]);
    const params = net.init(createRng('fit'));
    const adam = createAdam(net.paramCount);
    const grad = new Float64Array(net.paramCount);
    const xs = Array.from({ length: 21 }, (_, i) => -1 + i / 10);
    const mse = (): number =>
      xs.reduce((s, x) => s + ((net.forward(params, [x])[0] ?? 0) - x * x) ** 2, 0) / xs.length;
    const before = mse();
    for (let epoch = 0; epoch < 300; epoch++) {
      grad.fill(0);
      for (const x of xs) {
        const y = net.forward(params, [x])[0] ?? 0;
        net.backward(params, [(2 * (y - x * x)) / xs.length], grad);
      }
      adamStep(adam, params, grad, 0.01);
    }
    expect(mse()).toBeLessThan(before / 20);
  });
});
