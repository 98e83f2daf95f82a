import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/rng.js';
import { initialMlpWeights, mlpWeightShapes, type MlpShape } from './mlp.js';
import { resizeMlp } from './resize.js';

/** Plain-JS forward pass (ReLU hidden layers, linear output) to check function preservation. */
function forward(shape: MlpShape, weights: readonly Float32Array[], x: Float32Array): Float64Array {
  let h = Float64Array.from(x);
  const layers = shape.hidden + 1;
  for (let l = 0; l < layers; l++) {
    const w = weights[2 * l] as Float32Array;
    const b = weights[2 * l + 1] as Float32Array;
    const fanIn = h.length;
    const fanOut = b.length;
    const out = new Float64Array(fanOut);
    for (let j = 0; j < fanOut; j++) {
      let s = b[j] as number;
      for (let i = 0; i < fanIn; i++) s += (h[i] as number) * (w[i * fanOut + j] as number);
      out[j] = l < layers - 1 ? Math.max(0, s) : s;
    }
    h = out;
  }
  return h;
}

const shape: MlpShape = { inputSize: 7, width: 5, hidden: 2, classes: 3 };

function trainedLike(seed: string): Float32Array[] {
  // Random biases too, so a unit's bias matters when it is kept or dropped.
  const rng = createRng(seed);
  return initialMlpWeights(shape, rng).map((w) =>
    w.some((v) => v !== 0) ? w : w.map(() => rng.normal() * 0.1),
  );
}

function moments(seed: string): Float32Array[] {
  const rng = createRng(seed);
  return mlpWeightShapes(shape).map((s) =>
    Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.next()),
  );
}

const inputs = Array.from({ length: 6 }, (_, k) =>
  Float32Array.from({ length: 7 }, (_, i) => Math.sin(k * 7 + i)),
);

describe('resizeMlp', () => {
  it('widening keeps the network output exactly and gives the new units zero outgoing weights and Adam moments', () => {
    const weights = trainedLike('w');
    const m = moments('m');
    const v = moments('v');
    const r = resizeMlp(shape, { weights, m, v }, 8, createRng('resize'));
    expect(r.shape.width).toBe(8);
    expect(r.change).toBe(3);
    expect(r.weights.map((w) => w.length)).toEqual(
      mlpWeightShapes(r.shape).map((s) => s[0]! * (s[1] ?? 1)),
    );
    for (const x of inputs)
      expect(forward(r.shape, r.weights, x)).toEqual(forward(shape, weights, x));
    // Old units keep their incoming weights and moments; new units have fresh, nonzero incoming weights.
    const w1 = r.weights[0]!;
    expect(w1[0 * 8 + 4]).toBe(weights[0]![0 * 5 + 4]);
    expect(w1[0 * 8 + 6]).not.toBe(0);
    expect(r.m[0]![0 * 8 + 4]).toBe(m[0]![0 * 5 + 4]);
    expect(r.m[0]![0 * 8 + 6]).toBe(0);
    // New units feed old units of the next layer with zero weights (and zero moments); they
    // feed the next layer's new units freely (those have zero outgoing weights themselves).
    const w2 = r.weights[2]!;
    for (let i = 5; i < 8; i++) {
      expect([...w2.subarray(i * 8, i * 8 + 5)]).toEqual([0, 0, 0, 0, 0]);
      expect(w2[i * 8 + 6]).not.toBe(0);
    }
    expect([...r.weights[4]!.subarray(5 * 3, 8 * 3)].every((x) => x === 0)).toBe(true);
    expect([...r.v[4]!.subarray(5 * 3, 8 * 3)].every((x) => x === 0)).toBe(true);
  });

  it('narrowing keeps the most important units (a no-op on units a widening added)', () => {
    const weights = trainedLike('w');
    const wide = resizeMlp(shape, { weights, m: [], v: [] }, 9, createRng('a'));
    const back = resizeMlp(wide.shape, { weights: wide.weights, m: [], v: [] }, 5, createRng('b'));
    expect(back.weights).toEqual(weights);
    expect(back.m).toEqual([]);
  });

  it('narrowing drops units that contribute nothing without changing the output', () => {
    const weights = trainedLike('w');
    // Silence unit 2 of the first hidden layer: zero outgoing weights.
    const w2 = weights[2]!;
    for (let k = 0; k < 5; k++) w2[2 * 5 + k] = 0;
    const r = resizeMlp(shape, { weights, m: moments('m'), v: moments('v') }, 4, createRng('n'));
    expect(r.shape.width).toBe(4);
    // Layer 1 lost exactly unit 2; layer 2 lost its weakest unit, so only layer 1 is exact.
    expect(r.weights[1]).toEqual(Float32Array.from([0, 1, 3, 4].map((j) => weights[1]![j]!)));
    expect(r.m[1]).toEqual(Float32Array.from([0, 1, 3, 4].map((j) => moments('m')[1]![j]!)));
  });

  it('rejects a bad width or mismatched arrays', () => {
    expect(() =>
      resizeMlp(shape, { weights: trainedLike('w'), m: [], v: [] }, 0, createRng('x')),
    ).toThrow(/width/);
    expect(() =>
      resizeMlp(shape, { weights: trainedLike('w').slice(1), m: [], v: [] }, 4, createRng('x')),
    ).toThrow(/6 weight arrays/);
  });
});
