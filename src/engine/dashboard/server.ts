import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { PbtError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { DashboardData } from './data-source.js';
import { ExperimentHub } from './experiment-hub.js';
import { clientBundle, renderPage } from './page.js';
import { pollLoop } from './poll-loop.js';
import { errorJson, redactPaths } from './wire.js';

/** How long an experiment nobody watches keeps its records and cached snapshot (ms). */
const HUB_IDLE_MS = 5 * 60_000;

export interface DashboardOptions {
  /** A store opened read-only (openStore(url, { readOnly: true })). */
  readonly store: Store;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** How often an open page's experiment is re-read (ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
  /**
   * Read the experiments a page most likely opens first (the running ones, else the newest)
   * while the server starts, so the first page does not wait for the read. Default true.
   */
  readonly prefetch?: boolean;
}

/** At most this many experiments are read ahead (each hub holds its records in memory). */
const PREFETCH_MAX = 2;

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
  const streams = new Set<() => void>();
  // One hub per experiment shown, shared by all its pages (see ExperimentHub).
  const hubs = new Map<string, Promise<ExperimentHub>>();
  const hubOf = (id: string): Promise<ExperimentHub> => {
    let hub = hubs.get(id);
    if (hub === undefined) {
      hub = data.open(id, now()).then(
        ({ snapshot, feed }) =>
          new ExperimentHub(snapshot, feed, {
            pollMs,
            now,
            idleMs: HUB_IDLE_MS,
            onIdle: () => hubs.delete(id),
          }),
      );
      hubs.set(id, hub);
      // A failed open (unknown id, store error) is not kept: the next page tries again.
      hub.catch(() => hubs.delete(id));
    }
    return hub;
  };
  // Read ahead while the page is bundled (esbuild works in its own process meanwhile). A
  // failure is left for the page that asks to report.
  if (options.prefetch !== false) {
    void data.likelyFirst(PREFETCH_MAX).then(
      (ids) => {
        for (const id of ids)
          void hubOf(id).then(
            (hub) => hub.prepare(),
            () => undefined,
          );
      },
      () => undefined,
    );
  }
  const bundle = await clientBundle();
  const page = renderPage(bundle, { kind: 'live' }, 'pbt dashboard');
  const app = Fastify({ logger: false });

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
    const stopPolling = pollLoop(tick, pollMs * 2, (err) => send(res, 'failure', errorJson(err)));
    untilClosed(req.raw, res, stopPolling);
  });

  /**
   * One experiment: a `snapshot` event, then an `update` with only what changed. A page that
   * reconnects (Last-Event-ID) gets only the updates it missed when they are still held.
   */
  app.get<{ Params: { id: string } }>('/api/experiments/:id/stream', async (req, reply) => {
    const hub = await hubOf(req.params.id);
    reply.hijack();
    // The page may have gone while the store was read: then no 'close' event is left to come.
    if (req.raw.socket.destroyed) return;
    const res = openEventStream(reply.raw);
    const lastEventId = req.headers['last-event-id'];
    const unsubscribe = hub.subscribe(
      { send: (event, json, id) => send(res, event, json, id) },
      typeof lastEventId === 'string' ? lastEventId : undefined,
    );
    untilClosed(req.raw, res, unsubscribe);
  });

  /** Ends a stream's work when its page goes away or the server closes. */
  function untilClosed(req: NodeJS.EventEmitter, res: ServerResponse, stop: () => void): void {
    let stopped = false;
    const end = (): void => {
      if (stopped) return;
      stopped = true;
      streams.delete(end);
      stop();
      res.end();
    };
    streams.add(end);
    req.on('close', end);
  }

  // End the event streams before the server closes: it waits for open connections, and an open
  // page would otherwise keep Ctrl-C waiting forever.
  app.addHook('preClose', (done) => {
    for (const stop of [...streams]) stop();
    for (const hub of hubs.values()) void hub.then((h) => h.close()).catch(() => undefined);
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

function send(res: ServerResponse, event: string, json: string, id?: string): void {
  if (!res.writableEnded)
    res.write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${json}\n\n`);
}
