import { main as cliMain } from './engine/cli/main.js';
import { builtInTaskRegistry } from './workloads/index.js';

/** The `pbt` command: the engine's CLI with the built-in workloads. */
export function main(argv: readonly string[]): Promise<number> {
  return cliMain(argv, builtInTaskRegistry());
}
