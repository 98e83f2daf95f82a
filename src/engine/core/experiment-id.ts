import { ConfigError } from './errors.js';

/**
 * Experiment ids name files (reports, worker log directories), so they are plain names: letters,
 * digits, `.`, `_`, `-`, starting with a letter or digit, at most 128 characters. No `/`, no
 * `..`: an id can never point outside the directory it is joined to.
 */
const EXPERIMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertExperimentId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !EXPERIMENT_ID.test(id) || id.includes('..')) {
    throw new ConfigError(
      `invalid experiment id ${JSON.stringify(id)}: use letters, digits, ".", "_" and "-" ` +
        '(starting with a letter or digit, no "..", at most 128 characters), e.g. "toy-run-1"',
    );
  }
}
