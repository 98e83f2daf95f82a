import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../engine/core/rng.js';

/**
 * A fully connected network as plain variables: `hidden` ReLU layers of one width, then a linear
 * layer to the class logits. Plain variables (not tf.layers) because PBT resizes the hidden
 * layers on explore (see resize.ts) and a checkpoint is just this list of arrays.
 */
export interface MlpShape {
  readonly inputSize: number;
  readonly width: number;
  readonly hidden: number;
  readonly classes: number;
}

export interface Mlp {
  readonly shape: MlpShape;
  /** [W1, b1, W2, b2, ..., Wout, bout]; W is [fanIn, fanOut]. The order of Adam's slots too. */
  readonly variables: tf.Variable[];
}

/** Shapes of the weight arrays of `shape`, in variable order. */
export function mlpWeightShapes(shape: MlpShape): number[][] {
  const out: number[][] = [];
  let fanIn = shape.inputSize;
  for (let l = 0; l < shape.hidden; l++) {
    out.push([fanIn, shape.width], [shape.width]);
    fanIn = shape.width;
  }
  out.push([fanIn, shape.classes], [shape.classes]);
  return out;
}

/**
 * Initial weights: He-uniform kernels for the ReLU layers, Glorot-uniform for the output layer,
 * zero biases, drawn from `rng` so a member's start is reproducible from its seed.
 */
export function initialMlpWeights(shape: MlpShape, rng: Rng): Float32Array[] {
  return mlpWeightShapes(shape).map((s, i, all) => {
    const size = s.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (s.length === 1) return data;
    const [fanIn = 1, fanOut = 1] = s;
    const isOutput = i === all.length - 2;
    const limit = isOutput ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
    for (let k = 0; k < size; k++) data[k] = (2 * rng.next() - 1) * limit;
    return data;
  });
}

/** Variables holding `weights` (copied: the cpu backend would share the arrays otherwise). */
export function createMlp(shape: MlpShape, weights: readonly Float32Array[]): Mlp {
  const shapes = mlpWeightShapes(shape);
  if (weights.length !== shapes.length) {
    throw new Error(
      `an MLP of this shape has ${shapes.length} weight arrays, got ${weights.length}`,
    );
  }
  const variables = shapes.map((s, i) => {
    const data = weights[i] as Float32Array;
    const size = s.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(`weight ${i}: ${data.length} values for shape [${s.join(', ')}]`);
    // tf.variable keeps its initial tensor alive as a second handle: dispose that one.
    const initial = tf.tensor(data.slice(), s, 'float32');
    const variable = tf.variable(initial, true);
    initial.dispose();
    return variable;
  });
  return { shape, variables };
}

/** The kernels (not the biases): what the L1 penalty applies to. */
export function mlpKernels(mlp: Mlp): tf.Variable[] {
  return mlp.variables.filter((_, i) => i % 2 === 0);
}

/** Logits [batch, classes] of flattened inputs x [batch, inputSize]. */
export function mlpLogits(mlp: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  const v = mlp.variables;
  for (let l = 0; l < mlp.shape.hidden; l++) {
    const w = v[2 * l] as tf.Variable;
    const b = v[2 * l + 1] as tf.Variable;
    h = tf.fused.matMul({ a: h, b: w, bias: b, activation: 'relu' }) as tf.Tensor2D;
  }
  const w = v[2 * mlp.shape.hidden] as tf.Variable;
  const b = v[2 * mlp.shape.hidden + 1] as tf.Variable;
  return tf.fused.matMul({ a: h, b: w, bias: b }) as tf.Tensor2D;
}

export function disposeMlp(mlp: Mlp): void {
  for (const v of mlp.variables) v.dispose();
}
