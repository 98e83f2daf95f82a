import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';

export interface TrainableFlags {
  command?: string;
  space?: string;
  trainableTimeout?: string;
}

/**
 * `pbt run --command "python3 train.py" --space space.yaml [--trainable-timeout s]`: the flags
 * become the config's `trainable` and `space` (over a config file's, if one is given).
 */
export function applyTrainableFlags(raw: Record<string, unknown>, flags: TrainableFlags): void {
  if (flags.command !== undefined || flags.trainableTimeout !== undefined) {
    const trainable = { ...asObject(raw.trainable) };
    if (flags.command !== undefined) trainable.command = flags.command;
    if (flags.trainableTimeout !== undefined) {
      const seconds = Number(flags.trainableTimeout);
      if (!(seconds > 0)) {
        throw new ConfigError(
          `--trainable-timeout must be a positive number of seconds, got "${flags.trainableTimeout}"`,
        );
      }
      trainable.timeoutSeconds = seconds;
    }
    raw.trainable = trainable;
  }
  if (flags.space !== undefined)
    raw.space = { ...asObject(raw.space), ...readSpaceFile(flags.space) };
}

/** A config file's trainable runs in the file's folder unless it says otherwise. */
export function resolveTrainableInFile(obj: Record<string, unknown>, file: string): void {
  if (obj.trainable === undefined) return;
  const t = asObject(obj.trainable);
  const dir = path.dirname(path.resolve(file));
  obj.trainable = { ...t, cwd: path.resolve(dir, typeof t.cwd === 'string' ? t.cwd : '.') };
}

/** A search space file: `{ lr: { type: loguniform, min: 1e-4, max: 0.1 }, ... }` (YAML or JSON). */
function readSpaceFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the search space file ${file}: ${(err as Error).message}`);
  }
  const space = asObject(parsed);
  if (Object.keys(space).length === 0) {
    throw new ConfigError(
      `the search space file ${file} must map parameter names to specs, e.g. "lr: { type: loguniform, min: 0.0001, max: 0.1 }"`,
    );
  }
  return space;
}

const asObject = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
