import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { REPO, runCli, sleep, startCli, tempDir } from './helpers.js';

const METHODS = ['pbt', 'random', 'fixed', 'asha', 'bo'];
const SEEDS = 2;

/** Experiments in the store and their result rows, by id. */
async function snapshot(db: string): Promise<Map<string, { status: string; results: number[] }>> {
  const store = new SqliteStore(db);
  try {
    const out = new Map<string, { status: string; results: number[] }>();
    for (const e of await store.listExperiments()) {
      out.set(e.id, {
        status: e.status,
        results: (await store.listResults(e.id)).map((r) => r.id),
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('pbt compare', () => {
  it('interrupted with Ctrl-C, `pbt compare --resume` finishes the matrix without running anything twice', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const common = ['--workers', '2', '--store', `sqlite:${db}`, '--checkpoints', 'ckpt'];
    const { child, result } = startCli(
      [
        'compare',
        'toy',
        '--methods',
        METHODS.join(','),
        '--seeds',
        String(SEEDS),
        '--set',
        'stepMs=4',
        '--budget',
        '90',
        '--name',
        'resume-test',
        '-o',
        'out/comparison.json',
        ...common,
      ],
      dir,
    );
    // Interrupt once some runs are done and another is under way.
    for (let i = 0; i < 600; i++) {
      await sleep(100);
      if (!existsSync(db)) continue;
      const before = await snapshot(db);
      const done = [...before.values()].filter((e) => e.status === 'done').length;
      const running = [...before.values()].some(
        (e) => e.status === 'running' && e.results.length > 0,
      );
      if (done >= 2 && running) break;
    }
    child.kill('SIGINT');
    const first = await result;
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/pbt compare --resume resume-test-/);
    expect(existsSync(path.join(dir, 'out', 'comparison.json'))).toBe(false);
    const stopped = await snapshot(db);
    const doneBefore = [...stopped].filter(([, e]) => e.status === 'done');
    expect(doneBefore.length).toBeGreaterThanOrEqual(2);
    expect([...stopped.values()].some((e) => e.status === 'stopped')).toBe(true);

    const second = await runCli(['compare', '--resume', '--workers', '2'], dir);
    expect(second.code, second.stderr).toBe(0);
    for (const [id] of doneBefore)
      expect(second.stderr).toContain(`${id}: already done, not run again`);

    const after = await snapshot(db);
    // One experiment per (method, seed), BO one per batch (2 configurations, batch 2): no extras.
    const ids = [...after.keys()].sort();
    const prefix = /^resume-test-\d{8}-\d{6}-[0-9a-f]{4}-/;
    const runs = ids.map((id) => id.replace(prefix, '')).sort();
    expect(runs).toEqual(
      METHODS.flatMap((m) =>
        Array.from({ length: SEEDS }, (_, i) =>
          m === 'bo' ? `bo-s${i + 1}-b0` : `${m}-s${i + 1}`,
        ),
      ).sort(),
    );
    for (const [id, e] of after) {
      expect(e.status, id).toBe('done');
      // Runs finished before the interrupt were not touched again.
      const old = stopped.get(id);
      if (old?.status === 'done') expect(e.results).toEqual(old.results);
    }
    const store = new SqliteStore(db);
    try {
      for (const id of ids) {
        const results = await store.listResults(id);
        const keys = results.map((r) => `${r.memberId}@${r.step}`);
        expect(new Set(keys).size, `${id} has a duplicated result`).toBe(keys.length);
      }
    } finally {
      await store.close();
    }
    const json = JSON.parse(readFileSync(path.join(dir, 'out', 'comparison.json'), 'utf8')) as {
      methods: Record<string, { seeds: (number | null)[]; ci95: [number, number] | null }>;
    };
    expect(Object.keys(json.methods)).toEqual(METHODS);
    for (const m of METHODS) {
      expect(json.methods[m]?.seeds).toHaveLength(SEEDS);
      expect(json.methods[m]?.seeds.every((s) => typeof s === 'number')).toBe(true);
    }
    expect(readdirSync(path.join(dir, '.pbt', 'comparisons'))).toHaveLength(1);
  }, 240_000);

  it('reports the test score of the member each method picks by validation', async () => {
    const dir = tempDir();
    const task = path.join(REPO, 'test', 'fixtures', 'split-task.ts');
    const out = await runCli(
      [
        'compare',
        task,
        '--methods',
        'random,asha',
        '--seeds',
        '2',
        '--population',
        '6',
        '--budget',
        '20',
        '--workers',
        '2',
        '--store',
        `sqlite:${path.join(dir, 'pbt.db')}`,
      ],
      dir,
    );
    expect(out.code, out.stderr).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'comparison.json'), 'utf8')) as {
      finalScore: string;
      methods: Record<string, { runs: { score: number; validationScore: number }[] }>;
    };
    expect(json.finalScore).toMatch(/test score/);
    const store = new SqliteStore(path.join(dir, 'pbt.db'));
    try {
      for (const method of ['random', 'asha']) {
        for (const run of json.methods[method]?.runs ?? []) {
          // x = 10 - |validation| or 10 + |validation|: the test score is 1000 + x of that member.
          const x = run.score - 1000;
          expect(Math.abs(x - 10)).toBeCloseTo(-run.validationScore, 9);
        }
      }
      // The picked member has the best validation score among those trained furthest.
      const randomRuns = (await store.listExperiments()).filter((x) => x.id.includes('-random-'));
      expect(randomRuns).toHaveLength(2);
      for (const e of randomRuns) {
        const members = await store.listMembers(e.id);
        const best = Math.max(...members.map((m) => m.score ?? -Infinity));
        const seed = Number(/-s(\d+)$/.exec(e.id)?.[1]);
        const run = json.methods.random?.runs.find((_, i) => i === seed - 1);
        expect(run?.validationScore).toBe(best);
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  it("runs 'pb2' as PBT with PB2's explore, reported as a method of its own", async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const out = await runCli(
      [
        'compare',
        'toy',
        '--methods',
        'pb2',
        '--seeds',
        '1',
        '--budget',
        '64',
        '--workers',
        '2',
      ].concat(['--store', `sqlite:${db}`]),
      dir,
    );
    expect(out.code, out.stderr).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'comparison.json'), 'utf8')) as {
      methods: Record<string, { seeds: number[] }>;
    };
    expect(json.methods.pb2?.seeds).toHaveLength(1);
    const store = new SqliteStore(db);
    try {
      const [run] = await store.listExperiments();
      expect(run?.id).toMatch(/-pb2-s1$/);
      const config = run?.config as { method?: string; explore?: { kind?: string } };
      expect(config.method).toBe('pbt');
      expect(config.explore?.kind).toBe('pb2');
    } finally {
      await store.close();
    }
  }, 120_000);

  it('refuses an unknown method with exit 2 and creates nothing', async () => {
    const dir = tempDir();
    const out = await runCli(
      [
        'compare',
        'toy',
        '--methods',
        'pbt,hyperband',
        '--store',
        `sqlite:${path.join(dir, 'x.db')}`,
      ],
      dir,
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /"hyperband" is not a method; use any of pbt, pb2, random, grid, fixed, asha, bo/,
    );
    expect(existsSync(path.join(dir, 'x.db'))).toBe(false);
    expect(existsSync(path.join(dir, '.pbt', 'comparisons'))).toBe(false);
    const replayFirst = await runCli(
      ['compare', 'toy', '--methods', 'replay,pbt', '--store', `sqlite:${path.join(dir, 'x.db')}`],
      dir,
    );
    expect(replayFirst.code).toBe(2);
    expect(replayFirst.stderr).toMatch(/list pbt before it/);
    expect(existsSync(path.join(dir, 'x.db'))).toBe(false);
  });
});
