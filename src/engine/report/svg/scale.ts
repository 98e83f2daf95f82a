/** Axis scales and "nice" ticks for the SVG charts. */

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface Scale {
  readonly domain: readonly [number, number];
  readonly ticks: readonly Tick[];
  /** Map a data value to [0, 1] along the axis (values outside the domain go outside [0, 1]). */
  map(value: number): number;
  /** Whether a value can be drawn on this scale (finite, and > 0 for log). */
  accepts(value: number): boolean;
}

/** Linear scale over the data, widened to round tick boundaries. */
export function linearScale(values: readonly number[], targetTicks = 5): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // Take a finer step when rounding out to the coarse one would waste much of the axis
  // (e.g. data in [-0.3, 72] shown as [-20, 80]).
  const dataSpan = hi - lo;
  let step = niceStep(dataSpan / targetTicks);
  for (let i = 0; i < 3; i++) {
    const finer = niceStep(step / 2.01);
    const span = Math.ceil(hi / step - 1e-9) * step - Math.floor(lo / step + 1e-9) * step;
    if (span <= dataSpan * 1.25 || dataSpan / finer > targetTicks * 2) break;
    step = finer;
  }
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: Tick[] = [];
  for (let i = 0; ; i++) {
    const v = lo + i * step;
    if (v > hi + step * 1e-6) break;
    const value = Math.abs(v) < step * 1e-9 ? 0 : v;
    ticks.push({ value, label: formatTick(value, step) });
  }
  const span = hi - lo;
  return {
    domain: [lo, hi],
    ticks,
    map: (v) => (v - lo) / span,
    accepts: (v) => Number.isFinite(v),
  };
}

/** Log10 scale; non-positive values are not drawable. */
export function logScale(values: readonly number[]): Scale {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  let lo = positive.length > 0 ? Math.log10(Math.min(...positive)) : 0;
  let hi = positive.length > 0 ? Math.log10(Math.max(...positive)) : 1;
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.04;
  lo -= pad;
  hi += pad;
  const inside = (e: number): boolean => e >= lo - 1e-9 && e <= hi + 1e-9;
  const candidates = (mantissas: readonly number[]): number[] => {
    const out: number[] = [];
    for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
      for (const m of mantissas) {
        const e = d + Math.log10(m);
        if (inside(e)) out.push(m * 10 ** d);
      }
    }
    return out;
  };
  let values10 = candidates([1]);
  if (values10.length < 3) values10 = candidates([1, 2, 5]);
  if (values10.length < 3) values10 = candidates([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Less than a factor of ~3 between ends: round linear ticks read better than none.
  if (values10.length < 3) {
    const fine = linearScale([10 ** lo, 10 ** hi], 4).ticks.filter(
      (t) => t.value > 0 && inside(Math.log10(t.value)),
    );
    if (fine.length > values10.length) {
      const span = hi - lo;
      return {
        domain: [10 ** lo, 10 ** hi],
        ticks: fine,
        map: (v) => (Math.log10(v) - lo) / span,
        accepts: (v) => Number.isFinite(v) && v > 0,
      };
    }
  }
  // Too many decades: keep every k-th so labels do not collide.
  if (values10.length > 8) {
    const k = Math.ceil(values10.length / 8);
    values10 = values10.filter((_, i) => i % k === 0);
  }
  const span = hi - lo;
  return {
    domain: [10 ** lo, 10 ** hi],
    ticks: values10.map((v) => ({ value: v, label: formatLogTick(v) })),
    map: (v) => (Math.log10(v) - lo) / span,
    accepts: (v) => Number.isFinite(v) && v > 0,
  };
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return m * base;
}

/** Tick label with as many decimals as the step needs; k/M suffixes for large round values. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e9 || (abs < 1e-3 && step < 1e-3)) return trimExp(value.toExponential(1));
  if (abs >= 1000 && step >= 100) {
    const [div, suffix] = abs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
    const decimals = Math.min(3, decimalsOf(step / div));
    return `${(value / div).toFixed(decimals)}${suffix}`;
  }
  return value.toFixed(decimalsOf(step));
}

/** Decimals needed to write `step` (and so every multiple of it) exactly: 0.25 → 2, 50 → 0. */
function decimalsOf(step: number): number {
  for (let d = 0; d < 10; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 10;
}

function formatLogTick(v: number): string {
  const e = Math.log10(v);
  if (v >= 1e-3 && v < 1e5) return String(Number(v.toPrecision(3)));
  if (Math.abs(e - Math.round(e)) < 1e-9) return `1e${Math.round(e)}`;
  return trimExp(v.toExponential(0));
}

function trimExp(s: string): string {
  return s.replace(/\.0+e/, 'e').replace('e+', 'e');
}
