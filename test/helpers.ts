import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const PBT_BIN = path.join(REPO, 'bin', 'pbt.js');

export const tempDir = (prefix = 'pbt-test-'): string => mkdtempSync(path.join(tmpdir(), prefix));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Start `pbt <args>` as a real child process. */
export function startCli(
  args: readonly string[],
  cwd: string,
): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [PBT_BIN, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, result };
}

export const runCli = (args: readonly string[], cwd: string): Promise<CliResult> =>
  startCli(args, cwd).result;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of the `pbt worker` processes a `pbt run` forked (not its other children, e.g. esbuild). */
export function workerPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /pbt\.js worker\b/.test(line))
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Whether a process is still alive (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
