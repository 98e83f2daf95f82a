import type { Hparams } from '../core/types.js';
import type { Task, TaskContext } from '../tasks/task.js';
import { StopRequested } from './stop-requested.js';

export interface SegmentInput {
  readonly task: Task;
  readonly state: unknown;
  readonly hparams: Hparams;
  readonly ctx: TaskContext;
  readonly fromStep: number;
  /** Step to stop at (the next ready point or the budget). */
  readonly target: number;
  /** Time-based ready points: stop once this many seconds have passed. */
  readonly seconds?: number;
  readonly leaseMs: number;
  readonly heartbeat: (now: number) => Promise<void>;
  readonly clock: () => number;
  readonly signal?: AbortSignal;
  /**
   * True while the worker has work finishing in the background (the previous member's
   * checkpoint write, whose record then needs the main thread): chunks are kept short and each
   * one ends with a turn of the event loop, so that work is not held up by a synchronous task.
   */
  readonly backgroundWork?: () => boolean;
}

/** Chunks aim at this wall time so heartbeats and Ctrl-C are served promptly. */
const TARGET_CHUNK_MS = 1000;
/** Chunk length while background work waits for the main thread. */
const BACKGROUND_CHUNK_MS = 5;

/**
 * Train from `fromStep` to `target` in chunks. Training code is usually synchronous (a timer
 * could not fire during it), so the lease is renewed between chunks; chunk sizes adapt to the
 * measured step time so a chunk lasts about a second and never more than a third of the lease.
 */
export async function trainSegment(
  input: SegmentInput,
): Promise<{ step: number; trainSeconds: number }> {
  const { task, state, hparams, ctx, clock } = input;
  const chunkMs = Math.min(TARGET_CHUNK_MS, input.leaseMs / 3);
  let step = input.fromStep;
  let chunk = 1;
  let trainMs = 0;
  let lastBeat = clock();
  const started = clock();
  while (step < input.target) {
    if (input.signal?.aborted) throw new StopRequested('stop requested');
    const n = Math.min(chunk, input.target - step);
    const t0 = performance.now();
    await task.train(state, hparams, n, { ...ctx, step });
    const ms = performance.now() - t0;
    trainMs += ms;
    step += n;
    const background = input.backgroundWork?.() === true;
    if (background) await new Promise((resolve) => setImmediate(resolve));
    // Grow towards the chunk that fills chunkMs at the measured rate (at most 4x per chunk).
    const perStep = ms / n;
    const aimMs = background ? BACKGROUND_CHUNK_MS : chunkMs;
    chunk = Math.max(1, Math.min(chunk * 4, Math.floor(aimMs / Math.max(perStep, 1e-6))));
    const now = clock();
    if (now - lastBeat >= input.leaseMs / 3) {
      await input.heartbeat(now);
      lastBeat = now;
    }
    if (input.seconds !== undefined && (now - started) / 1000 >= input.seconds) break;
  }
  return { step, trainSeconds: trainMs / 1000 };
}
