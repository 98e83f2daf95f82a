import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Kills trainable process groups when this process dies, however it dies (SIGKILL included).
 * A small detached Node process reads "+pgid" / "-pgid" lines on its stdin; when the pipe
 * closes — which the kernel does when this process exits — it SIGKILLs every group still
 * registered. The helpers also exit on stdin EOF, but a trainable busy in a long training call
 * does not read stdin: this is what ends it.
 */
const REAPER_SCRIPT = `
const groups = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const pgid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pgid); else groups.delete(pgid);
  }
});
process.stdin.on('close', () => {
  for (const g of groups) { try { process.kill(-g, 'SIGKILL'); } catch {} }
  process.exit(0);
});
`;

export class Reaper {
  private child: ChildProcess | null = null;

  /** Watch a process group (its leader's pid); starts the reaper on first use. */
  add(pgid: number): void {
    this.send(`+${pgid}\n`);
  }

  /** Stop watching a group (before it is killed here, so a reused pid is never killed). */
  remove(pgid: number): void {
    if (this.child) this.send(`-${pgid}\n`);
  }

  /** End the reaper (it kills any group still registered); a later add() starts a new one. */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  /** The reaper's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private send(line: string): void {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
      this.child = spawn(process.execPath, ['-e', REAPER_SCRIPT], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      this.child.on('error', () => undefined);
      this.child.stdin?.on('error', () => undefined);
      // Neither the reaper nor its pipe may keep this process alive.
      this.child.unref();
      (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    }
    this.child.stdin?.write(line);
  }
}
