import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) of this process's finished children, i.e. the worker processes
 * once they have exited: fields cutime and cstime of /proc/self/stat, in clock ticks (100 per
 * second on Linux). Elsewhere 0, and comparison.json then reports no CPU time.
 */
export function childCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return Number.isFinite(cutime + cstime) ? (cutime + cstime) / 100 : 0;
  } catch {
    return 0;
  }
}
