/**
 * Seeded pseudo-random numbers. Every random choice in core and strategies goes through an
 * `Rng` passed in by the caller, so a run is reproducible from its seed.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal N(0, 1). */
  normal(): number;
}

/** 32-bit string/number hash (FNV-1a) used to derive independent streams from a seed. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = `${String(part)}\u0000`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/** sfc32 generator: fast, small state, passes PractRand at the sizes we use. */
export function createRng(...seedParts: readonly (string | number)[]): Rng {
  let a = hashSeed('a', ...seedParts);
  let b = hashSeed('b', ...seedParts);
  let c = hashSeed('c', ...seedParts);
  let d = 1;
  const nextUint = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextUint();
  let spare: number | null = null;
  const next = (): number => nextUint() / 4294967296;
  return {
    next,
    int: (n: number): number => Math.floor(next() * n),
    normal: (): number => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // Box-Muller; 1 - next() is in (0, 1] so the log is finite.
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}
