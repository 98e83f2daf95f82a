import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SearchSpace } from '../core/space-types.js';
import type { Hparams, Metrics } from '../core/types.js';
import type { Task, TaskContext } from '../tasks/task.js';
import type { Request } from './protocol.js';
import { describeRequest } from './protocol.js';
import { Reaper } from './reaper.js';
import {
  TrainableError,
  TrainableProcess,
  type Answer,
  type LaunchSpec,
} from './trainable-process.js';

/** The member state the worker holds: a live process that has the member's model. */
export interface TrainableHandle {
  readonly proc: TrainableProcess;
}

export interface TrainableTaskOptions {
  readonly name: string;
  readonly space: SearchSpace;
  readonly spec: LaunchSpec;
  readonly timeoutSeconds: number;
  /** Log lines of a process between members (rare: startup or shutdown output). */
  readonly log?: (line: string) => void;
}

/** How long a shutdown request may take before the group is killed. */
const SHUTDOWN_GRACE_MS = 5000;

/**
 * A Task whose training runs in another process (docs/protocol.md). The worker loop runs it
 * unchanged. One process per worker at a time: it stays warm across the ready points of the
 * member it works for, and when the worker moves to another member (or that member exploits)
 * the same process is told to `load` the new state, so a Python process pays `import torch` and
 * its data loading once. It is restarted only after a fault (any fault kills its group).
 */
export class TrainableTask implements Task<TrainableHandle> {
  readonly name: string;
  readonly space: SearchSpace;
  private readonly reaper = new Reaper();
  private idle: TrainableProcess | null = null;
  private dir: string | null = null;
  private files = 0;

  constructor(private readonly opts: TrainableTaskOptions) {
    this.name = opts.name;
    this.space = opts.space;
  }

  async create(h: Hparams, ctx: TaskContext): Promise<TrainableHandle> {
    const proc = this.acquire(ctx);
    await this.call(proc, {
      op: 'init',
      hparams: h,
      seed: ctx.seed,
      member: ctx.memberId,
      step: ctx.step,
    });
    return { proc };
  }

  async load(bytes: Uint8Array, h: Hparams, ctx: TaskContext): Promise<TrainableHandle> {
    const file = this.tempFile('load');
    await writeFile(file, bytes);
    try {
      const proc = this.acquire(ctx);
      await this.call(proc, {
        op: 'load',
        path: file,
        hparams: h,
        seed: ctx.seed,
        member: ctx.memberId,
        step: ctx.step,
      });
      return { proc };
    } finally {
      await rm(file, { force: true });
    }
  }

  async train(state: TrainableHandle, h: Hparams, steps: number, ctx: TaskContext): Promise<void> {
    this.bind(state.proc, ctx);
    await this.call(state.proc, {
      op: 'train',
      steps,
      hparams: h,
      member: ctx.memberId,
      step: ctx.step,
    });
  }

  async evaluate(state: TrainableHandle, ctx: TaskContext): Promise<Metrics> {
    // The worker may hand a state to another member whose checkpoint is the same (an exploit
    // right after the donor's ready point): requests always say which member they are for.
    this.bind(state.proc, ctx);
    const request: Request = { op: 'evaluate', member: ctx.memberId, step: ctx.step };
    const answer = await this.call(state.proc, request);
    const { id } = answer;
    const metrics = answer.response.metrics;
    const who = `member ${ctx.memberId}: trainable`;
    const where = `${describeRequest(id, request)}; offending line: ${JSON.stringify(answer.line)}`;
    if (metrics?.score === undefined) {
      state.proc.kill();
      throw new TrainableError(`${who} answered without a "score" metric during ${where}`);
    }
    const bad = Object.entries(metrics).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      // The process is fine; the member's model is not (diverged): the worker fails the ready
      // point and the member is recovered from a donor or its last checkpoint.
      throw new TrainableError(
        `${who} returned a non-finite ${bad[0] === 'score' ? 'score' : `metric "${bad[0]}"`} (${bad[1]}) during ${where}`,
      );
    }
    return metrics as Metrics;
  }

  async save(state: TrainableHandle): Promise<Uint8Array> {
    const file = this.tempFile('save');
    const request: Request = { op: 'save', path: file };
    const answer = await this.call(state.proc, request);
    const { id } = answer;
    try {
      return await readFile(file);
    } catch (err) {
      state.proc.kill();
      throw new TrainableError(
        `member ${state.proc.member ?? '?'}: trainable answered ${describeRequest(id, request)} but left no readable checkpoint file there (${(err as Error).message}); offending line: ${JSON.stringify(answer.line)}`,
      );
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Keep a healthy process warm for the next member; a faulty one is already dead. */
  async dispose(state: TrainableHandle): Promise<void> {
    const { proc } = state;
    proc.member = null;
    proc.log = this.opts.log ?? ((): void => undefined);
    if (!proc.healthy) return proc.kill();
    if (this.idle === null) {
      this.idle = proc;
      return;
    }
    await proc.shutdown(SHUTDOWN_GRACE_MS);
  }

  /** End the warm process and remove temporary files (the worker is done with this task). */
  async release(): Promise<void> {
    const proc = this.idle;
    this.idle = null;
    await proc?.shutdown(SHUTDOWN_GRACE_MS);
    this.reaper.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private acquire(ctx: TaskContext): TrainableProcess {
    const warm = this.idle?.healthy ? this.idle : null;
    if (this.idle && !warm) this.idle.kill();
    this.idle = null;
    const proc = warm ?? new TrainableProcess(this.opts.spec, this.reaper, (m) => ctx.log(m));
    this.bind(proc, ctx);
    return proc;
  }

  private bind(proc: TrainableProcess, ctx: TaskContext): void {
    proc.member = ctx.memberId;
    proc.log = (m): void => ctx.log(m);
  }

  private call(proc: TrainableProcess, request: Request): Promise<Answer> {
    return proc.request(request, this.opts.timeoutSeconds * 1000);
  }

  private tempFile(kind: string): string {
    this.dir ??= mkdtempSync(path.join(tmpdir(), 'pbt-trainable-'));
    this.files += 1;
    return path.join(this.dir, `${kind}-${process.pid}-${this.files}.ckpt`);
  }
}
