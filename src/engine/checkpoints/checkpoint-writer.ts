import { Worker } from 'node:worker_threads';
import { putCheckpointSync } from './durable-put.js';

/** A write the writer thread is asked to do: store `bytes` under `dir` (durable-put.ts). */
export interface WriteRequest {
  readonly id: number;
  readonly dir: string;
  readonly bytes: Uint8Array;
}

export type WriteReply =
  | { readonly id: number; readonly key: string }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string } };

interface Waiter {
  resolve(key: string): void;
  reject(err: Error): void;
}

/**
 * Durable checkpoint writes on a thread of their own. Training code is usually synchronous, so
 * an asynchronous write on the main thread would advance one step (open, write, fsync, rename,
 * fsync the directory) per event-loop turn, i.e. per training chunk; on this thread the whole
 * write proceeds while the worker trains the next segment. The thread starts on the first write
 * and never keeps the process alive when no write is in flight.
 */
export class CheckpointWriter {
  private thread: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;

  /** Write `bytes` durably under `dir`; resolves to their key once file and directory are fsynced. */
  put(dir: string, bytes: Uint8Array): Promise<string> {
    const thread = this.thread ?? this.start();
    const id = this.nextId++;
    // Our own copy, handed over without a second copy: the caller may reuse its buffer at once.
    const copy = bytes.slice();
    return new Promise<string>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) thread.ref();
      const request: WriteRequest = { id, dir, bytes: copy };
      thread.postMessage(request, [copy.buffer]);
    });
  }

  /** Stops the thread; a write in flight is rejected (its temp file is left for collection). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    if (thread !== null) await thread.terminate();
    this.failAll(new Error('the checkpoint writer was closed'));
  }

  private start(): Worker {
    const thread = new Worker(THREAD_SOURCE, { eval: true });
    thread.unref();
    thread.on('message', (reply: WriteReply) => this.settle(reply));
    thread.on('error', (err) => this.failAll(err));
    thread.on('exit', (code) => {
      if (this.thread === thread) this.thread = null;
      this.failAll(new Error(`the checkpoint writer thread exited (code ${code})`));
    });
    this.thread = thread;
    return thread;
  }

  private settle(reply: WriteReply): void {
    const waiter = this.waiting.get(reply.id);
    if (waiter === undefined) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.thread?.unref();
    if ('key' in reply) {
      waiter.resolve(reply.key);
    } else {
      // The file system's error as the caller would have seen it (ENOSPC keeps its code).
      waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    }
  }

  private failAll(err: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) w.reject(err);
  }
}

/**
 * The thread: `putCheckpointSync` from its source text, one write at a time in request order.
 * Source text rather than a module file, so it runs the same from TypeScript sources (tsx,
 * tests: tsx cannot load a worker thread's TypeScript entry on Node 20) and from dist.
 */
const THREAD_SOURCE = `
'use strict';
// esbuild's keep-names helper, which the source text carries when it ran through tsx.
const __name = (target) => target;
const { parentPort } = require('node:worker_threads');
const modules = { fs: require('node:fs'), crypto: require('node:crypto'), path: require('node:path') };
const putCheckpointSync = ${putCheckpointSync.toString()};
parentPort.on('message', (request) => {
  let reply;
  try {
    reply = { id: request.id, key: putCheckpointSync(modules, request.dir, request.bytes) };
  } catch (err) {
    reply = { id: request.id, error: { message: String(err && err.message), code: err && err.code } };
  }
  parentPort.postMessage(reply);
});
`;
