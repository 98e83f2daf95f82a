import type { Rng } from '../../engine/core/rng.js';
import { mlpWeightShapes, type MlpShape } from './mlp.js';

/**
 * Changing the width of an MLP's hidden layers between two training segments, keeping what the
 * network computes (pure functions on the weight arrays, in `mlpWeightShapes` order).
 *
 * - Widening is exactly function-preserving: each new unit gets fresh He-uniform incoming weights
 *   and a zero bias, and **zero outgoing weights**, so the network's output is unchanged; the new
 *   units start learning at the next step (their outgoing weights get gradient h·δ). Copying
 *   units instead (Net2WiderNet) would leave copies that Adam, being invariant to gradient
 *   scale, updates identically forever unless noise is added.
 * - Narrowing keeps the units with the largest contribution, measured as
 *   ‖outgoing weights‖ · ‖(incoming weights, bias)‖, and drops the rest: only approximately
 *   function-preserving, but under L1 many units are near zero and cost nothing to drop (units
 *   added by a widening and not yet trained are dropped first).
 *
 * Adam moments follow their weights: kept units keep theirs, new units start at zero.
 */
export interface MlpArrays {
  readonly weights: Float32Array[];
  /** Adam first/second moments per weight array; empty before the first training step. */
  readonly m: Float32Array[];
  readonly v: Float32Array[];
}

export interface ResizeResult extends MlpArrays {
  readonly shape: MlpShape;
  /** Units added or removed per hidden layer (positive: added). */
  readonly change: number;
}

export function resizeMlp(
  shape: MlpShape,
  arrays: MlpArrays,
  width: number,
  rng: Rng,
): ResizeResult {
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`width must be a positive integer, got ${width}`);
  const count = mlpWeightShapes(shape).length;
  const hasMoments = arrays.m.length > 0;
  if (
    arrays.weights.length !== count ||
    (hasMoments && (arrays.m.length !== count || arrays.v.length !== count))
  ) {
    throw new RangeError(`expected ${count} weight arrays (and as many Adam moments, or none)`);
  }
  const weights = [...arrays.weights];
  const m = [...arrays.m];
  const v = [...arrays.v];
  const old = shape.width;
  let fanIn = shape.inputSize;
  for (let l = 0; l < shape.hidden; l++) {
    const fanOut = l + 1 < shape.hidden ? old : shape.classes;
    // `keep[j]` = the old unit that new unit j continues, or -1 for a fresh unit.
    const keep =
      width >= old ? widenMap(old, width) : narrowMap(weights, l, fanIn, old, fanOut, width);
    const wi = 2 * l;
    const bi = wi + 1;
    const wo = wi + 2;
    const limit = Math.sqrt(6 / fanIn);
    weights[wi] = takeColumns(
      weights[wi] as Float32Array,
      fanIn,
      old,
      keep,
      () => (2 * rng.next() - 1) * limit,
    );
    weights[bi] = takeColumns(weights[bi] as Float32Array, 1, old, keep, () => 0);
    weights[wo] = takeRows(weights[wo] as Float32Array, old, fanOut, keep);
    if (hasMoments) {
      for (const slots of [m, v]) {
        slots[wi] = takeColumns(slots[wi] as Float32Array, fanIn, old, keep, () => 0);
        slots[bi] = takeColumns(slots[bi] as Float32Array, 1, old, keep, () => 0);
        slots[wo] = takeRows(slots[wo] as Float32Array, old, fanOut, keep);
      }
    }
    fanIn = width;
  }
  return { shape: { ...shape, width }, weights, m, v, change: width - old };
}

function widenMap(old: number, width: number): Int32Array {
  const keep = new Int32Array(width);
  for (let j = 0; j < width; j++) keep[j] = j < old ? j : -1;
  return keep;
}

/** The `width` most important units of hidden layer l, in their original order. */
function narrowMap(
  weights: readonly Float32Array[],
  l: number,
  fanIn: number,
  units: number,
  fanOut: number,
  width: number,
): Int32Array {
  const win = weights[2 * l] as Float32Array;
  const bias = weights[2 * l + 1] as Float32Array;
  const wout = weights[2 * l + 2] as Float32Array;
  const importance = new Float64Array(units);
  for (let j = 0; j < units; j++) {
    let inSq = (bias[j] as number) ** 2;
    for (let i = 0; i < fanIn; i++) inSq += (win[i * units + j] as number) ** 2;
    let outSq = 0;
    for (let k = 0; k < fanOut; k++) outSq += (wout[j * fanOut + k] as number) ** 2;
    importance[j] = Math.sqrt(inSq * outSq);
  }
  const order = Array.from({ length: units }, (_, j) => j);
  // Ties (e.g. several untrained units) are broken by index so the result is deterministic.
  order.sort((a, b) => (importance[b] as number) - (importance[a] as number) || a - b);
  return Int32Array.from(order.slice(0, width).sort((a, b) => a - b));
}

/** Columns `keep` of a row-major [rows, cols] array; -1 columns are filled by `fresh`. */
function takeColumns(
  src: Float32Array,
  rows: number,
  cols: number,
  keep: Int32Array,
  fresh: () => number,
): Float32Array {
  const n = keep.length;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      const k = keep[j] as number;
      out[r * n + j] = k >= 0 ? (src[r * cols + k] as number) : fresh();
    }
  }
  return out;
}

/** Rows `keep` of a row-major [rows, cols] array; -1 rows are zero. */
function takeRows(src: Float32Array, rows: number, cols: number, keep: Int32Array): Float32Array {
  if (src.length !== rows * cols)
    throw new RangeError(`array of ${src.length} values is not [${rows}, ${cols}]`);
  const out = new Float32Array(keep.length * cols);
  keep.forEach((k, j) => {
    if (k >= 0) out.set(src.subarray(k * cols, (k + 1) * cols), j * cols);
  });
  return out;
}
