import { ConfigError } from '../core/errors.js';
import { assertNoPrototypeKeys } from '../config/prototype-keys.js';

/**
 * Task options from `--set key=value` flags. A value is read as JSON when it parses (numbers,
 * `true`/`false`, arrays, objects) and as a plain string otherwise, so `--set lowercase=false`
 * is the boolean false and `--set corpus=multi30k` the string "multi30k".
 */
export function parseTaskOptionSets(sets: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const kv of sets) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set takes key=value, got "${kv}"`);
    const value = parseSetValue(kv.slice(eq + 1));
    assertNoPrototypeKeys({ [kv.slice(0, eq)]: value }, '--set');
    options[kv.slice(0, eq)] = value;
  }
  return options;
}

function parseSetValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
