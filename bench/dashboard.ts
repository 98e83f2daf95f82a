/**
 * Dashboard scale bench: a synthetic PBT experiment (default 1,000 members × 100 results, written
 * through the real Store API into a SQLite file), served by the dashboard from a read-only store
 * and opened in headless Chromium.
 *
 *   node --import tsx bench/dashboard.ts [--members 1000] [--results 100] [--db <file>]
 *     [--updates 5] [--batch 50] [--generate-only]
 *
 * Measures:
 * - first view: from navigation to the experiment page drawn (scores, hyperparameters, lineage
 *   tree, population table), cold (the first page, opened the moment the server listens: the
 *   store is read and the snapshot serialised, partly while the server starts, as it reads the
 *   running experiments ahead), cold without that read-ahead (a later server, prefetch off),
 *   and warm (the server's cached snapshot), and its parts: the server's snapshot (cold, on a
 *   second server without read-ahead; warm), the page's JSON parse, decoding the columns, and
 *   the render. Two clocks: Playwright's wait for a population row (as before; it polls at
 *   growing intervals, up to 500 ms apart, so it can report up to 0.5 s late) and the page's
 *   own time from navigation to the first frame painted after the render (`drawnAt`);
 * - updates: a writer appends `batch` results; the time until the page shows them (poll interval
 *   1 s + redraw at most once a second are included), the redraw time, and the update's size
 *   on the wire against the snapshot's.
 * Writes results/bench/dashboard.json. The database is kept (reused when it matches).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startDashboard } from '../src/engine/dashboard/server.js';
import { openStore } from '../src/engine/store/open-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { writeSyntheticExperiment } from '../src/engine/testing/synthetic-experiment.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    results: { type: 'string', default: '100' },
    db: { type: 'string' },
    updates: { type: 'string', default: '5' },
    batch: { type: 'string', default: '50' },
    'generate-only': { type: 'boolean', default: false },
  },
});
const members = Number(values.members);
const results = Number(values.results);
const id = `synthetic-${members}x${results}`;
const db = values.db ?? path.join(os.tmpdir(), `pbt-dashboard-bench-${members}x${results}.db`);

if (!existsSync(db)) {
  // Written to a side file and renamed when complete: a run stopped while writing (the lock's
  // 10-minute limit) must not leave a half-written experiment that the next run would reuse.
  const partial = `${db}.partial`;
  rmSync(partial, { force: true });
  const t = performance.now();
  const fresh = new SqliteStore(partial);
  // Left running: the bench appends to it.
  await writeSyntheticExperiment(fresh, { id, members, results: results - 1, running: true });
  await fresh.close();
  renameSync(partial, db);
  console.log(`wrote ${id} in ${((performance.now() - t) / 1000).toFixed(1)} s to ${db}`);
  if (values['generate-only'] === true) process.exit(0);
}
const writer = new SqliteStore(db);

const loadavgAtStart = os.loadavg();
// The browser first: the cold view starts the moment the server listens, so the server's read
// ahead (prefetch) overlaps only its own start-up and the page's load, as for a user who
// opens the page right away.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const reader = await openStore(`sqlite:${db}`, { readOnly: true });
const dashboard = await startDashboard({ store: reader });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

/** Opens one experiment's stream and reads it to the end of its snapshot event. */
async function readSnapshot(base: string): Promise<{ bytes: number; ms: number }> {
  const t = performance.now();
  const res = await fetch(`${base}api/experiments/${id}/stream`);
  const body = res.body?.getReader();
  let bytes = 0;
  let tail = '';
  for (;;) {
    const chunk = await body?.read();
    if (!chunk || chunk.done) break;
    bytes += chunk.value.byteLength;
    tail = (tail + new TextDecoder().decode(chunk.value.slice(-16))).slice(-16);
    if (bytes > 1000 && tail.endsWith('}\n\n')) break;
  }
  await body?.cancel();
  return { bytes, ms: Math.round(performance.now() - t) };
}

/** Opens the experiment in a fresh tab; the time until it is drawn, and the page's own timings. */
async function firstView(base = dashboard.url): Promise<{
  /** Playwright's wait for a population row: it polls after 0, 20, 50, 100, 100, then every 500 ms. */
  ms: number;
  /** Since navigation, measured in the page: the first frame after the render was painted. */
  drawnAt: number;
  renderMs: number;
  parseMs: number;
  decodeMs: number;
  /** Since navigation: the page opened the event stream; the snapshot event reached the page. */
  streamOpenedAt: number;
  snapshotAt: number;
  parts: unknown;
}> {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const t = performance.now();
  await tab.goto(`${base}#/experiment/${id}`);
  await tab.locator('#population tbody tr').first().waitFor({ timeout: 120_000 });
  const ms = Math.round(performance.now() - t);
  const app = tab.locator('#app');
  await tab.waitForFunction(() => document.getElementById('app')?.dataset.drawnAt !== undefined);
  const view = {
    ms,
    drawnAt: Number(await app.getAttribute('data-drawn-at')),
    renderMs: Number(await app.getAttribute('data-render-ms')),
    parseMs: Number(await app.getAttribute('data-parse-ms')),
    decodeMs: Number(await app.getAttribute('data-decode-ms')),
    streamOpenedAt: Number(await app.getAttribute('data-stream-opened-at')),
    snapshotAt: Number(await app.getAttribute('data-snapshot-at')),
    parts: JSON.parse((await app.getAttribute('data-timings')) ?? '{}') as unknown,
  };
  await tab.close();
  return view;
}

// Cold: the first page after the server started (the store is read, the snapshot serialised,
// partly ahead of the page: the server reads the running experiment while it starts).
const cold = await firstView();
// Warm: the snapshot is cached by the server for every page of this experiment.
const warmSnapshot = await readSnapshot(dashboard.url);
const warm = await firstView();
// The server's cold part alone, on a second server over the same store, without read-ahead.
const second = await startDashboard({ store: reader, prefetch: false });
const coldSnapshot = await readSnapshot(second.url);
await second.close();
// A first page on a server that did not read ahead (this process's code is warm by now).
const third = await startDashboard({ store: reader, prefetch: false });
const coldNoPrefetch = await firstView(third.url);
await third.close();

// The page followed through the updates.
await page.goto(`${dashboard.url}#/experiment/${id}`);
await page.locator('#population tbody tr').first().waitFor({ timeout: 120_000 });
const shown0 = Number(await page.locator('#app').getAttribute('data-results'));

// A second client counts the bytes of every event after the snapshot: the updates' size.
const updateBytes: number[] = [];
const watcher = new AbortController();
void (async () => {
  const res = await fetch(`${dashboard.url}api/experiments/${id}/stream`, {
    signal: watcher.signal,
  });
  const body = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const chunk = await body?.read();
    if (!chunk || chunk.done) return;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('event: update')) updateBytes.push(Buffer.byteLength(block));
    }
  }
})().catch(() => undefined);

// Updates: the writer appends `batch` results (one more ready point for `batch` members).
const updates: { latencyMs: number; renderMs: number }[] = [];
const batch = Number(values.batch);
let step = results;
for (let u = 0; u < Number(values.updates); u++) {
  const before = Number(await page.locator('#app').getAttribute('data-results'));
  const start = performance.now();
  let written = 0;
  for (let i = 0; i < batch; i++) {
    const lease = await writer.claimMember(id, {
      workerId: 'bench',
      leaseMs: 60_000,
      now: Date.now(),
      preferMember: (u * batch + i) % members,
    });
    if (lease === null) break;
    await writer.recordResult(lease, {
      step: Math.max(lease.member.step + 100, step * 100),
      metrics: { score: (lease.member.score ?? 0) + 0.01 },
      hparams: lease.member.hparams,
      checkpoint: `ck-bench-${u}-${i}`,
      done: false,
      now: Date.now(),
      trainSeconds: 0.1,
    });
    await writer.release(lease);
    written++;
  }
  step++;
  await page.waitForFunction(
    (n) => Number(document.getElementById('app')?.dataset.results) >= n,
    before + written,
    { timeout: 60_000, polling: 20 },
  );
  updates.push({
    latencyMs: performance.now() - start,
    renderMs: Number(await page.locator('#app').getAttribute('data-render-ms')),
  });
}

// The size of one update on the wire, read by a second client over a fresh feed.
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const report = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, loadavg: os.loadavg() },
  loadavgAtStart,
  members,
  results,
  resultsShown: shown0,
  snapshotBytes: warmSnapshot.bytes,
  firstViewMs: cold.ms,
  firstDrawnAtMs: cold.drawnAt,
  warmDrawnAtMs: warm.drawnAt,
  coldNoPrefetchDrawnAtMs: coldNoPrefetch.drawnAt,
  firstRenderMs: cold.renderMs,
  firstParseMs: cold.parseMs,
  firstDecodeMs: cold.decodeMs,
  firstRenderParts: cold.parts,
  firstStreamOpenedAt: cold.streamOpenedAt,
  firstSnapshotAt: cold.snapshotAt,
  warmStreamOpenedAt: warm.streamOpenedAt,
  warmSnapshotAt: warm.snapshotAt,
  warmRenderMs: warm.renderMs,
  warmRenderParts: warm.parts,
  coldNoPrefetchFirstViewMs: coldNoPrefetch.ms,
  coldNoPrefetchSnapshotAt: coldNoPrefetch.snapshotAt,
  snapshotMs: coldSnapshot.ms,
  warmFirstViewMs: warm.ms,
  warmSnapshotMs: warmSnapshot.ms,
  updates,
  updateLatencyMedianMs: Math.round(median(updates.map((u) => u.latencyMs))),
  updateRenderMedianMs: median(updates.map((u) => u.renderMs)),
  batch,
  updateBytes,
};
watcher.abort();
console.log(JSON.stringify(report, null, 2));
mkdirSync('results/bench', { recursive: true });
const out = `results/bench/dashboard${members === 1000 && results === 100 ? '' : `-${members}x${results}`}.json`;
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`written to ${out}${existsSync(out) ? '' : ' (failed)'}`);
await browser.close();
await dashboard.close();
await reader.close();
await writer.close();
