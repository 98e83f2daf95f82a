import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseShellWords } from 'shell-quote';
import type { TrainableConfig } from '../config/trainable-config.js';
import { ConfigError } from '../core/errors.js';
import type { LaunchSpec } from './trainable-process.js';

/** The package's python/ folder (pbt_trainable.py), put on the trainable's PYTHONPATH. */
export const PYTHON_HELPER_DIR = fileURLToPath(new URL('../../../python', import.meta.url));

/**
 * How to start a configured trainable: its words (no shell: pbt starts the program itself so
 * that it can kill exactly its process group), the environment and the working directory.
 */
export function launchSpec(
  config: TrainableConfig,
  baseEnv: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): LaunchSpec {
  const words = parseShellWords(config.command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const w of words) {
    if (typeof w !== 'string') {
      throw new ConfigError('invalid config:', [
        `trainable.command: "${config.command}" uses shell syntax (${JSON.stringify(w)}); pbt starts the program without a shell: put pipes, redirections and globs in a script, or run \`sh -c '...'\` explicitly`,
      ]);
    }
    argv.push(w);
  }
  const [file, ...rest] = [...argv, ...config.args];
  if (file === undefined) {
    throw new ConfigError('invalid config:', ['trainable.command: is empty']);
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...baseEnv, ...config.env })) {
    if (v !== undefined) env[k] = v;
  }
  env.PYTHONPATH = env.PYTHONPATH
    ? `${PYTHON_HELPER_DIR}${path.delimiter}${env.PYTHONPATH}`
    : PYTHON_HELPER_DIR;
  env.PBT_PROTOCOL = '1';
  return { argv: [file, ...rest], env, cwd: path.resolve(cwd, config.cwd ?? '.') };
}

/** Fail at `pbt run` (exit 2) rather than in every member when the program cannot be found. */
export function assertExecutable(spec: LaunchSpec): void {
  if (!isDirectory(spec.cwd)) {
    throw new ConfigError('invalid config:', [
      `trainable.cwd: the folder ${spec.cwd} does not exist here; on another machine, put the code at the same path or set trainable.cwd to where it is`,
    ]);
  }
  const file = spec.argv[0];
  const candidates = file.includes('/')
    ? [path.resolve(spec.cwd, file)]
    : (spec.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, file));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return;
    } catch {
      // Try the next one.
    }
  }
  throw new ConfigError('invalid config:', [
    `trainable.command: cannot find the program "${file}" ${file.includes('/') ? `(looked at ${candidates[0] ?? file})` : 'on PATH'}; give its full path or fix PATH`,
  ]);
}

/**
 * A readable task name: the script's file name, e.g. `train.py`, else the program's. The script
 * is the first word after the program that looks like a file (has a `.` or `/`), so flag values
 * (`--model cnn`) never name it.
 */
export function trainableName(spec: LaunchSpec): string {
  const script = spec.argv.slice(1).find((w) => !w.startsWith('-') && /[./]/.test(w));
  return path.basename(script ?? spec.argv[0]);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
