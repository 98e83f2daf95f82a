import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/open-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { writeSyntheticExperiment } from '../testing/synthetic-experiment.js';
import { startDashboard, type RunningDashboard } from './server.js';
import {
  fromSnapshot,
  fromUpdate,
  type ExperimentListRow,
  type ExperimentSnapshot,
  type ExperimentUpdate,
} from './wire.js';

const EVIL = '<script>window.__pwned=1</script>';

/** Reads server-sent events from a real HTTP response. */
async function* events(url: string, signal: AbortSignal): AsyncGenerator<Sse> {
  const res = await fetch(url, { signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) yield { event, data };
    }
  }
}

type Sse = { event: string; data: string };

async function nextEvent(stream: AsyncGenerator<Sse>): Promise<Sse> {
  const next = await stream.next();
  if (next.done === true) throw new Error('the event stream ended');
  return next.value;
}

describe('dashboard server (real SQLite file, real HTTP)', () => {
  let dir = '';
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setup(): Promise<{ writer: Store; dashboard: RunningDashboard }> {
    dir = mkdtempSync(join(tmpdir(), 'pbt-dashboard-'));
    const file = join(dir, 'pbt.db');
    const writer = new SqliteStore(file);
    cleanup.push(() => writer.close());
    await writeSyntheticExperiment(writer, { id: 'small', members: 4, results: 3, running: true });
    await writer.createExperiment({
      id: 'private',
      task: `task ${EVIL}`,
      seed: 1,
      config: {
        name: `name ${EVIL}`,
        method: 'pbt',
        budget: { steps: 10 },
        store: 'postgres://pbt:hunter2@db.example/pbt',
        checkpoints: `${dir}/checkpoints`,
      },
      members: [{ [`lr${EVIL}`]: 0.1, opt: EVIL }],
      now: Date.UTC(2026, 0, 2),
    });
    const reader = await openStore(`sqlite:${file}`, { readOnly: true });
    const dashboard = await startDashboard({ store: reader, pollMs: 50 });
    cleanup.push(async () => {
      await dashboard.close();
      await reader.close();
    });
    return { writer, dashboard };
  }

  it('listens on 127.0.0.1 and serves one self-contained page', async () => {
    const { dashboard } = await setup();
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(dashboard.url);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    // Code and styles inline: no CDN, no second request.
    expect(html).not.toMatch(/\ssrc=|<link|@import|url\(https?:/i);
    expect(html.length).toBeGreaterThan(50_000);
  });

  it('lists experiments with progress and best score, without the store URL, its password or paths', async () => {
    const { dashboard } = await setup();
    const res = await fetch(`${dashboard.url}api/experiments`);
    const text = await res.text();
    const rows = JSON.parse(text) as ExperimentListRow[];
    expect(rows.map((r) => r.id).sort()).toEqual(['private', 'small']);
    const small = rows.find((r) => r.id === 'small');
    expect(small?.progress).toBe(1);
    expect(small?.bestScore).toBeGreaterThan(0);
    expect(small?.method).toBe('pbt');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(dir);
  });

  it('streams a snapshot, then only the new results and the members that changed', async () => {
    const { writer, dashboard } = await setup();
    const abort = new AbortController();
    cleanup.push(() => Promise.resolve(abort.abort()));
    const stream = events(`${dashboard.url}api/experiments/private/stream`, abort.signal);
    const first = await nextEvent(stream);
    expect(first.event).toBe('snapshot');
    const raw = first.data;
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain(dir);
    const snapshot = fromSnapshot(JSON.parse(raw) as ExperimentSnapshot);
    // User strings travel as data, unchanged; the page shows them as text.
    expect(snapshot.experiment.task).toBe(`task ${EVIL}`);
    expect(snapshot.members[0]?.hparams.opt).toBe(EVIL);
    expect(snapshot.results).toEqual([]);

    const lease = await writer.claimMember('private', { workerId: 'w', leaseMs: 1000, now: 1 });
    if (lease === null) throw new Error('no lease');
    await writer.recordResult(lease, {
      step: 5,
      metrics: { score: 0.5 },
      hparams: lease.member.hparams,
      checkpoint: 'ck',
      done: false,
      now: 2,
      trainSeconds: 0.1,
    });
    const next = await nextEvent(stream);
    expect(next.event).toBe('update');
    const update = fromUpdate(JSON.parse(next.data) as ExperimentUpdate, 'private');
    expect(update.results.map((r) => [r.memberId, r.step, r.score])).toEqual([[0, 5, 0.5]]);
    expect(update.members.map((m) => [m.id, m.step, m.leaseOwner])).toEqual([[0, 5, 'w']]);

    await writer.failMember({ ...lease }, `cannot read ${dir}/data/train.csv`);
    const failed = fromUpdate(
      JSON.parse((await nextEvent(stream)).data) as ExperimentUpdate,
      'private',
    );
    expect(failed.results).toEqual([]);
    expect(failed.members[0]?.failureReason).toBe('cannot read …/train.csv');
  });

  it('closes promptly while a page still holds an event stream open', async () => {
    const { dashboard } = await setup();
    const abort = new AbortController();
    cleanup.push(() => Promise.resolve(abort.abort()));
    const stream = events(`${dashboard.url}api/experiments/small/stream`, abort.signal);
    expect((await nextEvent(stream)).event).toBe('snapshot');
    // Before the fix close() waited for the open stream forever; 20 s only tells a hang apart.
    const closed = dashboard.close().then(() => 'closed');
    const hung = delay(20_000, 'still waiting for the stream', { ref: false });
    expect(await Promise.race([closed, hung])).toBe('closed');
  });

  it('reads the running experiments while it starts: their first page needs no read', async () => {
    const { writer, dashboard } = await setup();
    await dashboard.close();
    await writer.setExperimentStatus('private', 'done');
    const full: string[] = [];
    const reader = await openStore(`sqlite:${join(dir, 'pbt.db')}`, { readOnly: true });
    cleanup.push(() => reader.close());
    // Counts the full reads of an experiment's results (a page's snapshot needs one).
    const counted = new Proxy(reader, {
      get(target, key) {
        if (key === 'listResultsSince')
          return (id: string, after: number) => {
            if (after === 0) full.push(id);
            return target.listResultsSince(id, after);
          };
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const started = await startDashboard({ store: counted, pollMs: 50 });
    cleanup.push(() => started.close());
    for (let i = 0; i < 100 && full.length === 0; i++) await delay(20);
    expect(full).toEqual(['small']);
    const abort = new AbortController();
    cleanup.push(() => Promise.resolve(abort.abort()));
    const stream = events(`${started.url}api/experiments/small/stream`, abort.signal);
    const first = await nextEvent(stream);
    expect(first.event).toBe('snapshot');
    expect(fromSnapshot(JSON.parse(first.data) as ExperimentSnapshot).results).toHaveLength(12);
    // Not read again for the page, nor by its polls (rows appear in id order in SQLite:
    // each poll reads after the highest id seen).
    await delay(300);
    expect(full).toEqual(['small']);
    // Another experiment is read when a page asks for it.
    const other = events(`${started.url}api/experiments/private/stream`, abort.signal);
    expect((await nextEvent(other)).event).toBe('snapshot');
    expect(full).toContain('private');
  });

  it('answers 404 for an unknown experiment', async () => {
    const { dashboard } = await setup();
    const res = await fetch(`${dashboard.url}api/experiments/nope/stream`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no experiment "nope" in this store' });
  });
});
