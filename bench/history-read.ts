/**
 * What history-reading selection rules (fitness windows, t-test, PB2) add per ready point: the
 * worker's read of the last HISTORY_LIMIT results and every lineage event plus building the
 * population history, on a real SQLite file, for growing numbers of recorded results — next
 * to reading every result (what the first version did).
 *
 *   node --import tsx bench/history-read.ts [--members 10] [--results 1000,10000] [--reads 20]
 *
 * Writes results/selection/history-read.json (p50/p99 ms per size, with the load average).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { HISTORY_LIMIT, populationHistory } from '../src/engine/worker/population-history.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '10' },
    results: { type: 'string', default: '1000,10000' },
    reads: { type: 'string', default: '20' },
    out: { type: 'string', default: 'results/selection/history-read.json' },
  },
});
const members = Number(values.members);
const reads = Number(values.reads);

interface Row {
  readonly results: number;
  readonly recentP50Ms: number;
  readonly recentP99Ms: number;
  readonly allP50Ms: number;
  readonly allP99Ms: number;
}

async function measure(total: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pbt-history-'));
  const store = new SqliteStore(path.join(dir, 'pbt.db'));
  try {
    const id = `bench-${total}`;
    await store.createExperiment({
      id,
      task: 'toy',
      config: {},
      seed: 0,
      members: Array.from({ length: members }, () => ({ lr: 0.1 })),
      now: 0,
    });
    // Round-robin ready points, as one worker would record them.
    for (let i = 0; i < total; i++) {
      const lease = await store.claimMember(id, { workerId: 'w', leaseMs: 1e9, now: i });
      if (lease === null) throw new Error('nothing claimable');
      await store.recordResult(lease, {
        step: lease.member.step + 10,
        metrics: { score: Math.random() },
        hparams: { lr: 0.1 },
        checkpoint: `c${i}`,
        done: false,
        now: i,
        trainSeconds: 0,
      });
      await store.release(lease);
    }
    const time = async (read: () => Promise<unknown>): Promise<{ p50: number; p99: number }> => {
      const ms: number[] = [];
      for (let r = 0; r < reads + 2; r++) {
        const t0 = performance.now();
        await read();
        if (r >= 2) ms.push(performance.now() - t0); // the first reads warm caches
      }
      ms.sort((a, b) => a - b);
      const q = (p: number): number =>
        ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN;
      return { p50: q(0.5), p99: q(0.99) };
    };
    const recent = await time(async () =>
      populationHistory(
        await store.listRecentResults(id, HISTORY_LIMIT),
        await store.listLineage(id),
      ),
    );
    const all = await time(async () =>
      populationHistory(await store.listResults(id), await store.listLineage(id)),
    );
    return {
      results: total,
      recentP50Ms: recent.p50,
      recentP99Ms: recent.p99,
      allP50Ms: all.p50,
      allP99Ms: all.p99,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const total of values.results.split(',').map(Number)) {
  const row = await measure(total);
  rows.push(row);
  console.log(
    `${row.results} results: last ${HISTORY_LIMIT} p50 ${row.recentP50Ms.toFixed(1)} ms ` +
      `p99 ${row.recentP99Ms.toFixed(1)} ms; all p50 ${row.allP50Ms.toFixed(1)} ms ` +
      `p99 ${row.allP99Ms.toFixed(1)} ms`,
  );
}
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      command: `node --import tsx bench/history-read.ts --members ${members} --results ${values.results} --reads ${reads}`,
      cpus: cpus().length,
      loadavg: loadavg(),
      rows,
    },
    null,
    2,
  ) + '\n',
);
