import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PbtError } from '../core/errors.js';
import {
  describeRequest,
  encodeRequest,
  parseLine,
  type Request,
  type Response,
} from './protocol.js';
import type { Reaper } from './reaper.js';

/** A trainable's fault: crash, hang, malformed or wrong answer, missing checkpoint, bad score. */
export class TrainableError extends PbtError {
  constructor(message: string) {
    super('TRAINABLE', message);
  }
}

export interface LaunchSpec {
  /** Executable and its arguments (already split). */
  readonly argv: readonly [string, ...string[]];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export interface Answer {
  /** The request's number, named in later errors. */
  readonly id: number;
  readonly response: Response & { ok: true };
  /** The raw protocol line, quoted in later errors (e.g. a non-finite score). */
  readonly line: string;
}

/** Lines of output kept to explain a crash. */
const TAIL_LINES = 12;

interface Pending {
  readonly id: number;
  readonly request: Request;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (err: TrainableError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One running trainable: its own process group (so that its children die with it), requests
 * answered strictly in order, one at a time. Any fault kills the group: a trainable that
 * misbehaved once has an unknown state.
 */
export class TrainableProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private pending: Pending | null = null;
  private exited = false;
  private fault: string | null = null;
  private readonly tail: string[] = [];
  /** Who the process works for now: errors and log lines name this member. */
  member: number | null = null;
  log: (line: string) => void;

  constructor(
    private readonly spec: LaunchSpec,
    private readonly reaper: Reaper,
    log: (line: string) => void,
  ) {
    this.log = log;
    const [file, ...args] = spec.argv;
    this.child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (this.child.pid !== undefined) reaper.add(this.child.pid);
    this.child.on('error', (err) => this.onExit(`could not be started (${err.message})`));
    this.child.on('exit', (code, signal) => {
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      // Its last output lines (a traceback) may still be in the pipes: read them first, but do
      // not wait for pipes a surviving grandchild keeps open.
      const t = setTimeout(() => this.onExit(how), 200);
      this.child.once('close', () => {
        clearTimeout(t);
        this.onExit(how);
      });
    });
    this.child.stdin?.on('error', () => undefined);
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (line) => this.onStdout(line));
    }
    if (this.child.stderr) {
      createInterface({ input: this.child.stderr }).on('line', (line) => this.onLog(line));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Alive and never misbehaved: may be kept warm and reused. */
  get healthy(): boolean {
    return !this.exited && this.fault === null;
  }

  /** Send one request and wait for its answer (at most `timeoutMs`). */
  request(request: Request, timeoutMs: number): Promise<Answer> {
    const id = this.nextId++;
    if (!this.healthy) {
      return Promise.reject(this.error(id, request, this.fault ?? 'is not running'));
    }
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failPending(
          `did not answer within ${timeoutMs / 1000} s (trainable.timeoutSeconds); killed it`,
        );
      }, timeoutMs);
      this.pending = { id, request, resolve, reject, timer };
      this.child.stdin?.write(encodeRequest(id, request));
    });
  }

  /** Ask it to exit; kill the group if it does not within `graceMs`, and in any case after. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.healthy) {
      await this.request({ op: 'shutdown' }, graceMs).catch(() => undefined);
      this.child.stdin?.end();
      await this.waitExit(graceMs);
    }
    this.kill();
  }

  /** SIGKILL the whole process group (the trainable and anything it started). */
  kill(): void {
    this.fault ??= 'was killed by pbt after a fault';
    const pid = this.child.pid;
    if (pid === undefined) return;
    this.reaper.remove(pid);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private waitExit(ms: number): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private onStdout(line: string): void {
    const parsed = parseLine(line);
    if (parsed.kind === 'log') return this.onLog(line);
    if (parsed.kind === 'malformed') {
      return this.failPending(`printed a malformed protocol line (${parsed.problem})`, line);
    }
    const { response } = parsed;
    const pending = this.pending;
    if (!pending) return this.failPending('answered although no request was pending', line);
    if (response.id !== pending.id) {
      return this.failPending(`answered request ${response.id} instead`, line);
    }
    if (!response.ok) return this.failPending(`reported an error: ${response.error}`, line);
    clearTimeout(pending.timer);
    this.pending = null;
    pending.resolve({ id: pending.id, response, line });
  }

  private onLog(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.log(line);
  }

  private onExit(how: string): void {
    if (this.exited) return;
    this.exited = true;
    this.failPending(how);
    // Children it left behind go with the group.
    this.kill();
  }

  /** Record a fault, fail the request in flight (if any) and kill the process. */
  private failPending(problem: string, line?: string): void {
    this.fault ??= problem;
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      const tail =
        line === undefined && this.tail.length > 0
          ? `; its last output:\n    ${this.tail.join('\n    ')}`
          : '';
      pending.reject(this.error(pending.id, pending.request, problem, line, tail));
    }
    if (!this.exited) this.kill();
  }

  private error(
    id: number,
    request: Request,
    problem: string,
    line?: string,
    tail = '',
  ): TrainableError {
    const who = this.member === null ? 'trainable' : `member ${this.member}: trainable`;
    const offending = line === undefined ? '' : `; offending line: ${JSON.stringify(line)}`;
    return new TrainableError(
      `${who} \`${this.spec.argv.join(' ')}\` (pid ${this.child.pid ?? '?'}) ${problem} during ${describeRequest(id, request)}${offending}${tail}`,
    );
  }
}
