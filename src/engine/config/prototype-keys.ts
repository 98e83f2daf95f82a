import { ConfigError } from '../core/errors.js';

/** Keys that reach an object's prototype when assigned: never data in a config. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * JSON.parse and YAML keep `"__proto__"` as an ordinary key, but the first merge that assigns
 * it (`out[key] = value`) sets the object's prototype instead, and its values then slip past
 * the unknown-key check. Reject such keys anywhere in a config before anything merges it.
 */
export function assertNoPrototypeKeys(value: unknown, source: string, at = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPrototypeKeys(v, source, `${at}[${i}]`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new ConfigError(
      `invalid ${source}: ${at || '(top level)'} is not a plain object (its prototype was set); write plain JSON/YAML values`,
    );
  }
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key;
    if (FORBIDDEN.has(key)) {
      throw new ConfigError(
        `invalid ${source}: ${path}: "${key}" is not allowed as a key (it would change object prototypes); remove it`,
      );
    }
    assertNoPrototypeKeys((value as Record<string, unknown>)[key], source, path);
  }
}
