import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { PbtError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { DashboardData } from './data-source.js';
import { clientBundle, renderPage } from './page.js';
import { redactPaths } from './wire.js';

export interface DashboardOptions {
  /** A store opened read-only (openStore(url, { readOnly: true })). */
  readonly store: Store;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** How often an open page's experiment is re-read (ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
}

export interface RunningDashboard {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the dashboard's HTTP app: the page, a JSON list, and server-sent event streams. */
export async function dashboardApp(options: DashboardOptions): Promise<FastifyInstance> {
  const data = new DashboardData(options.store);
  const pollMs = options.pollMs ?? 1000;
  const now = options.now ?? Date.now;
  const bundle = await clientBundle();
  const page = renderPage(bundle, { kind: 'live' }, 'pbt dashboard');
  const app = Fastify({ logger: false });
  const streams = new Set<() => void>();

  // Errors reach the page without the server's paths (a SQLite error can name its file).
  app.setErrorHandler((err: unknown, _req, reply) => {
    const notFound = err instanceof PbtError && err.code === 'NOT_FOUND';
    const message = err instanceof Error ? err.message : String(err);
    void reply.code(notFound ? 404 : 500).send({ error: redactPaths(message) });
  });

  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));

  app.get('/favicon.ico', (_req, reply) => reply.code(204).send());

  app.get('/api/experiments', () => data.experimentList());

  /** The experiment list, re-sent whenever it changes. */
  app.get('/api/experiments/stream', (req, reply) => {
    reply.hijack();
    const res = openEventStream(reply.raw);
    let last = '';
    const tick = async (): Promise<void> => {
      const json = JSON.stringify(await data.experimentList());
      if (json !== last) send(res, 'list', json);
      last = json;
    };
    streams.add(
      loop(
        req.raw,
        tick,
        pollMs * 2,
        (err) => send(res, 'failure', errorJson(err)),
        () => res.end(),
      ),
    );
  });

  /** One experiment: a `snapshot` event, then an `update` with only what changed. */
  app.get<{ Params: { id: string } }>('/api/experiments/:id/stream', async (req, reply) => {
    const opened = await data.open(req.params.id, now());
    reply.hijack();
    const res = openEventStream(reply.raw);
    send(res, 'snapshot', JSON.stringify(opened.snapshot));
    const tick = async (): Promise<void> => {
      const update = await opened.feed.poll(now());
      if (update !== null) send(res, 'update', JSON.stringify(update));
    };
    streams.add(
      loop(
        req.raw,
        tick,
        pollMs,
        (err) => send(res, 'failure', errorJson(err)),
        () => res.end(),
      ),
    );
  });

  // End the event streams before the server closes: it waits for open connections, and an open
  // page would otherwise keep Ctrl-C waiting forever.
  app.addHook('preClose', (done) => {
    for (const stop of streams) stop();
    done();
  });
  return app;
}

/** Starts the dashboard on host:port (127.0.0.1 unless told otherwise). */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const app = await dashboardApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}/`, app, close: () => app.close() };
}

function openEventStream(res: ServerResponse): ServerResponse {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write('retry: 2000\n\n');
  return res;
}

function send(res: ServerResponse, event: string, json: string): void {
  if (!res.writableEnded) res.write(`event: ${event}\ndata: ${json}\n\n`);
}

function errorJson(err: unknown): string {
  return JSON.stringify({ error: redactPaths(err instanceof Error ? err.message : String(err)) });
}

/**
 * Runs `tick` every `ms` until the client goes away; one tick at a time, so a slow store read
 * never piles up requests. Returns a stop function.
 */
function loop(
  req: NodeJS.EventEmitter,
  tick: () => Promise<void>,
  ms: number,
  onError: (err: unknown) => void,
  onStop: () => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    onStop();
  };
  const run = (): void => {
    tick()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(run, ms);
      });
  };
  req.on('close', stop);
  run();
  return stop;
}
