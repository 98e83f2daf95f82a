import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { readExperiments } from '../src/engine/store/experiments.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { REPO, runCli, sleep, startCli, tempDir, workerPids } from './helpers.js';

const BUDGET = 400;
const POPULATION = 4;

describe('pbt run with real worker processes on a real SQLite file', () => {
  it('survives a SIGKILLed worker: every member completes, results are not duplicated, lineage is consistent', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const { child, result } = startCli(
      [
        'run',
        'toy',
        '--workers',
        '2',
        '--population',
        String(POPULATION),
        '--budget',
        String(BUDGET),
        '--lease',
        '1.5',
        '--set',
        'stepMs=10',
        '--store',
        `sqlite:${db}`,
        '--checkpoints',
        path.join(dir, 'ckpt'),
      ],
      dir,
    );
    // Wait until the workers have recorded some results, then kill one of them mid-run.
    let killed: number | null = null;
    for (let i = 0; i < 300 && killed === null; i++) {
      await sleep(100);
      if (!existsSync(db)) continue;
      const store = new SqliteStore(db);
      const [exp] = await store.listExperiments();
      const results = exp ? await store.listResults(exp.id) : [];
      await store.close();
      const workers = workerPids(child.pid ?? -1);
      if (results.length >= 20 && workers.length === 2) {
        killed = workers[0] ?? null;
        if (killed !== null) process.kill(killed, 'SIGKILL');
      }
    }
    expect(killed).not.toBeNull();
    const out = await result;
    expect(out.stderr).toMatch(/exited \(SIGKILL\); restarting it/);
    expect(out.code).toBe(0);

    const store = new SqliteStore(db);
    const [exp] = await store.listExperiments();
    expect(exp?.status).toBe('done');
    const id = exp?.id ?? '';
    const members = await store.listMembers(id);
    const results = await store.listResults(id);
    const lineage = await store.listLineage(id);
    await store.close();

    expect(members).toHaveLength(POPULATION);
    for (const m of members) {
      expect(m.status).toBe('done');
      expect(m.step).toBe(BUDGET);
    }
    // Each ready point recorded exactly once per member.
    const keys = results.map((r) => `${r.memberId}@${r.step}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const m of members) {
      const steps = results.filter((r) => r.memberId === m.id).map((r) => r.step);
      expect(steps).toEqual(Array.from({ length: BUDGET / 4 }, (_, i) => (i + 1) * 4));
    }
    // Lineage: every exploit copied a checkpoint the donor really recorded at the donor step.
    expect(lineage.length).toBeGreaterThan(0);
    for (const ev of lineage) {
      const donorResult = results.find((r) => r.memberId === ev.donor && r.step === ev.donorStep);
      expect(donorResult?.checkpoint).toBe(ev.donorCheckpoint);
      expect(ev.donor).not.toBe(ev.memberId);
    }
    // Every member's final checkpoint exists and verifies.
    const ckpt = new FilesystemCheckpointStore(path.join(dir, 'ckpt'));
    for (const m of members) {
      expect(m.checkpoint).not.toBeNull();
      await expect(ckpt.get(m.checkpoint ?? '')).resolves.toBeInstanceOf(Uint8Array);
    }
  }, 120_000);

  it('rejects a bad config with exit code 2, names the field, and creates nothing', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const cases: [string[], RegExp][] = [
      [['run', 'toy', '--population', '1'], /population: PBT needs a population of at least 2/],
      [['run', 'no-such-task'], /unknown task "no-such-task"/],
      [['run', 'toy', '--budget', 'lots'], /--budget must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const out = await runCli([...args, '--store', `sqlite:${db}`], dir);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(message);
    }
    expect(existsSync(db)).toBe(false);
  }, 60_000);

  it('runs PBT and baselines at the same budget, then answers best/lineage/export/report from the store', async () => {
    const dir = tempDir();
    const store = ['--store', `sqlite:${path.join(dir, 'pbt.db')}`];
    const run = await runCli(
      ['run', 'toy', '--budget', '40', '--population', '5', '--workers', '1'].concat([
        '--baselines',
        'random,grid',
        ...store,
      ]),
      dir,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /comparison report \(PBT vs random, grid at the same budget\): (.*\.html)/,
    );
    const reportFile = /comparison report .*: (.*\.html)/.exec(run.stderr)?.[1] ?? '';
    const html = readFileSync(reportFile, 'utf8');
    // The dashboard page with the data inlined (drawn by the same code as the live view).
    expect(html).toContain('<script type="application/json" id="pbt-data">');
    expect(html).toMatch(/random/);

    const db = new SqliteStore(path.join(dir, 'pbt.db'));
    const experiments = await readExperiments(db);
    await db.close();
    expect(experiments.map((e) => e.config.method).sort()).toEqual(['grid', 'pbt', 'random']);
    const groups = new Set(experiments.map((e) => e.config.group));
    expect(groups.size).toBe(1);
    // 5 members over 2 params: a 2 x 2 grid, whose 4 members get 50 steps each (equal budget).
    const grid = experiments.find((e) => e.config.method === 'grid');
    expect(grid?.populationSize).toBe(4);
    expect(grid?.config.budget.steps).toBe(50);

    const pbtId = experiments.find((e) => e.config.method === 'pbt')?.id ?? '';
    const best = await runCli(['best', pbtId, '--json', ...store], dir);
    expect(best.code).toBe(0);
    const parsed = JSON.parse(best.stdout) as { score: number; schedule: { segments: unknown[] } };
    expect(parsed.score).toBeGreaterThan(0);
    expect(parsed.schedule.segments.length).toBeGreaterThan(0);
    const lineage = await runCli(['lineage', pbtId, ...store], dir);
    expect(lineage.stdout).toMatch(/exploit tree/);
    const csv = await runCli(['export', pbtId, '--format', 'csv', ...store], dir);
    expect(csv.stdout.split('\n')[0]).toBe(
      'experiment,member,step,score,error,time,train_seconds,checkpoint,metric.theta0,metric.theta1,hp.h0,hp.h1',
    );
    expect(csv.stdout.trim().split('\n')).toHaveLength(1 + 5 * 10);
    const missing = await runCli(['best', 'no-such-experiment', ...store], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no experiment "no-such-experiment"/);
  }, 120_000);

  it('runs the documented example task module (docs/tasks.md)', async () => {
    const dir = tempDir();
    const example = path.join(REPO, 'examples', 'linear-regression-task.ts');
    const out = await runCli(
      [
        'run',
        example,
        '--population',
        '4',
        '--budget',
        '300',
        '--ready',
        '20',
        '--workers',
        '2',
        '--store',
        `sqlite:${path.join(dir, 'pbt.db')}`,
      ],
      dir,
    );
    expect(out.code).toBe(0);
    const score = Number(/best member \d+ score (-?[\d.e-]+)/.exec(out.stderr)?.[1]);
    // The untrained model scores -0.64 (its squared error); training must bring it well down.
    expect(score).toBeGreaterThan(-0.1);
  }, 120_000);

  it('Ctrl-C stops cleanly (exit 130, members released) and `pbt resume` finishes the run; YAML config', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'experiment.yaml'),
      [
        'task: toy',
        'population: 3',
        'budget:',
        '  steps: 400',
        'ready:',
        '  every: 4',
        'taskOptions:',
        '  stepMs: 5',
        'workers: 2',
        '',
      ].join('\n'),
    );
    const { child, result } = startCli(['run', 'experiment.yaml'], dir);
    const db = path.join(dir, '.pbt', 'pbt.db');
    for (let i = 0; i < 300; i++) {
      await sleep(100);
      if (!existsSync(db)) continue;
      const store = new SqliteStore(db);
      const [exp] = await store.listExperiments();
      const n = exp ? (await store.listResults(exp.id)).length : 0;
      await store.close();
      if (n >= 10) break;
    }
    // What a terminal's Ctrl-C does: SIGINT to the foreground processes, the run and its workers.
    for (const pid of [child.pid ?? 0, ...workerPids(child.pid ?? 0)]) process.kill(pid, 'SIGINT');
    const stopped = await result;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/continue with: pbt resume (\S+)/);

    const store = new SqliteStore(db);
    const [exp] = await store.listExperiments();
    expect(exp?.status).toBe('stopped');
    const members = await store.listMembers(exp?.id ?? '');
    expect(members.every((m) => m.status === 'pending' && m.leaseOwner === null)).toBe(true);
    const before = members.reduce((s, m) => s + m.step, 0);
    expect(before).toBeLessThan(1200);
    await store.close();

    const resumed = await runCli(['resume', exp?.id ?? '', '--workers', '2'], dir);
    expect(resumed.code).toBe(0);
    const after = new SqliteStore(db);
    expect((await after.getExperiment(exp?.id ?? ''))?.status).toBe('done');
    const results = await after.listResults(exp?.id ?? '');
    await after.close();
    // Every ready point exactly once across the stop and the resume.
    expect(results.length).toBe(3 * 100);
    expect(new Set(results.map((r) => `${r.memberId}@${r.step}`)).size).toBe(300);
  }, 120_000);
});
