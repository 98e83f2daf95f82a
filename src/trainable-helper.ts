/**
 * Write a pbt trainable in TypeScript/JavaScript: a separate Node program that pbt starts and
 * drives over the line protocol (docs/protocol.md). Import as `pbt/trainable`.
 *
 *     import { serveTrainable } from 'pbt/trainable';
 *     await serveTrainable({ setup, train, evaluate, save, load });
 */
import { createInterface } from 'node:readline';
import type { Hparams } from './engine/core/types.js';
import { PROTOCOL_VERSION, RESPONSE_PREFIX } from './engine/trainable/protocol.js';

export interface MemberInfo {
  readonly member: number;
  readonly step: number;
}

/** The five functions of a trainable; `S` is the model state. */
export interface NodeTrainable<S> {
  /** A fresh member. */
  setup(hparams: Hparams, seed: number, info: MemberInfo): S | Promise<S>;
  /** Train `steps` steps; `hparams` may have changed since the last call. */
  train(state: S, steps: number, hparams: Hparams): void | Promise<void>;
  /** `score` is maximised; other numbers are kept as metrics. */
  evaluate(state: S): Record<string, number> | Promise<Record<string, number>>;
  /** Write everything needed to continue (model and optimizer) to `path`. */
  save(state: S, path: string): void | Promise<void>;
  /** Restore a saved state (possibly another member's) and continue with `hparams`. */
  load(path: string, hparams: Hparams, seed: number, info: MemberInfo): S | Promise<S>;
}

export interface ServeOptions {
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
}

interface WireRequest {
  readonly v?: unknown;
  readonly id?: unknown;
  readonly op?: unknown;
  readonly [key: string]: unknown;
}

/**
 * Answer pbt's requests until `shutdown` or end of input (pbt gone). Log with console.log or
 * console.error: only lines starting with `@pbt ` are protocol lines.
 */
export async function serveTrainable<S>(
  trainable: NodeTrainable<S>,
  opts: ServeOptions = {},
): Promise<void> {
  const output = opts.output ?? process.stdout;
  // Between requests, end of stdin ends the loop below. As a second guard, exit when the parent
  // (pbt's worker) is gone; process.ppid is fixed at start-up in Node, so probe the pid instead.
  // (A trainable busy in synchronous code runs no timers: pbt's reaper kills that one.)
  const parent = process.ppid;
  const watch = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') process.exit(1);
    }
  }, 500);
  watch.unref();
  let state: S | undefined;
  const lines = createInterface({ input: opts.input ?? process.stdin });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const request = JSON.parse(line) as WireRequest;
      let reply: Record<string, unknown>;
      try {
        if (request.v !== PROTOCOL_VERSION) {
          throw new Error(
            `pbt speaks protocol ${String(request.v)}; this helper speaks ${PROTOCOL_VERSION}: update one of them`,
          );
        }
        const result = await handle(request);
        reply = { v: PROTOCOL_VERSION, id: request.id, ok: true, ...result };
      } catch (err) {
        console.error(err);
        reply = { v: PROTOCOL_VERSION, id: request.id, ok: false, error: String(err) };
      }
      output.write(`${RESPONSE_PREFIX}${JSON.stringify(reply)}\n`);
      if (request.op === 'shutdown') break;
    }
  } finally {
    clearInterval(watch);
    lines.close();
  }

  async function handle(r: WireRequest): Promise<Record<string, unknown>> {
    const info = (): MemberInfo => ({ member: Number(r.member), step: Number(r.step) });
    switch (r.op) {
      case 'init':
        state = await trainable.setup(r.hparams as Hparams, Number(r.seed), info());
        return {};
      case 'load':
        state = await trainable.load(String(r.path), r.hparams as Hparams, Number(r.seed), info());
        return {};
      case 'train':
        await trainable.train(current(), Number(r.steps), r.hparams as Hparams);
        return {};
      case 'evaluate':
        return { metrics: encodeMetrics(await trainable.evaluate(current())) };
      case 'save':
        await trainable.save(current(), String(r.path));
        return {};
      case 'shutdown':
        return {};
      default:
        throw new Error(`unknown op ${JSON.stringify(r.op)}`);
    }
  }

  function current(): S {
    if (state === undefined) throw new Error('no model yet: pbt sends init or load first');
    return state;
  }
}

/** JSON has no NaN/Infinity: send them as strings so pbt reports them as non-finite. */
function encodeMetrics(metrics: Record<string, number>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = Number.isFinite(v) ? v : String(v);
  return out;
}
