import { ConfigError } from '../core/errors.js';

interface Bounds {
  readonly min: number;
  readonly max?: number;
}

/**
 * A whole-number flag (`--workers 4`). Only plain decimal digits are accepted: `Number()` would
 * also take `0x10`, `1e3`, `1.5`, ` ` and `Infinity`, none of which a user means as a count.
 */
export function parseWholeFlag(name: string, text: string, bounds: Bounds): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(
      `--${name} must be a whole number${describe(bounds)}, got "${text}" (write it in plain digits, e.g. --${name} ${Math.max(bounds.min, 1)})`,
    );
  }
  return inBounds(name, Number(text.trim()), text, bounds);
}

/** A positive decimal flag (`--lease 1.5`): digits with an optional fraction, no exponent. */
export function parseDecimalFlag(name: string, text: string, bounds: Bounds): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) {
    throw new ConfigError(
      `--${name} must be a number${describe(bounds)}, got "${text}" (plain digits, e.g. --${name} 10 or 2.5)`,
    );
  }
  return inBounds(name, Number(text.trim()), text, bounds);
}

function inBounds(name: string, value: number, text: string, bounds: Bounds): number {
  if (value < bounds.min || (bounds.max !== undefined && value > bounds.max)) {
    throw new ConfigError(`--${name} must be${describe(bounds)}, got "${text}"`);
  }
  return value;
}

function describe({ min, max }: Bounds): string {
  if (max === undefined) return min > 0 ? ` ≥ ${min}` : ` ≥ 0`;
  return ` from ${min} to ${max.toLocaleString('en-US')}`;
}
