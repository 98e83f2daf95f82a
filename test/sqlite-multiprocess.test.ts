import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineageEvent, MemberRecord, ResultRecord } from '../src/engine/store/store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';

const WORKERS = 4;
const MEMBERS = 8;
const TARGET_STEP = 10;
const script = fileURLToPath(new URL('./fixtures/sqlite-claim-worker.ts', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function startWorker(dbPath: string, index: number): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', script, dbPath, 'exp', String(index), String(TARGET_STEP)],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const child: Child = {
    proc,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))),
  };
  proc.stdout?.on('data', (chunk: Buffer) => (child.stdout += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (child.stderr += chunk.toString()));
  return child;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SqliteStore shared by worker processes', () => {
  let dir = '';
  let members: MemberRecord[] = [];
  let results: ResultRecord[] = [];
  let lineage: LineageEvent[] = [];
  let children: Child[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbt-multiprocess-'));
    const dbPath = join(dir, 'pbt.db');
    const store = new SqliteStore(dbPath);
    await store.createExperiment({
      id: 'exp',
      task: 'toy',
      config: {},
      seed: 1,
      members: Array.from({ length: MEMBERS }, (_, i) => ({ lr: 0.01 * (i + 1) })),
      now: Date.now(),
    });
    children = Array.from({ length: WORKERS }, (_, i) => startWorker(dbPath, i));
    try {
      // Start claiming together, so the processes really contend for the same members.
      await until(() => children.every((c) => c.stdout.includes('ready')), 'workers to start');
      for (const c of children) c.proc.stdin?.end('go\n');
      const codes = await Promise.all(children.map((c) => c.exited));
      expect(codes, children.map((c) => c.stderr).join('\n')).toEqual(children.map(() => 0));
    } finally {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill();
    }
    members = await store.listMembers('exp');
    results = await store.listResults('exp');
    lineage = await store.listLineage('exp');
    await store.close();
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('records every (member, step) exactly once', () => {
    const keys = results.map((r) => `${r.memberId}@${r.step}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(results).toHaveLength(MEMBERS * TARGET_STEP);
    for (let m = 0; m < MEMBERS; m++) {
      const steps = results.filter((r) => r.memberId === m).map((r) => r.step);
      expect(steps).toEqual(Array.from({ length: TARGET_STEP }, (_, i) => i + 1));
    }
  });

  it('brings every member to the target step', () => {
    expect(members.map((m) => [m.step, m.status, m.leaseOwner])).toEqual(
      members.map(() => [TARGET_STEP, 'done', null]),
    );
  });

  it('shares the work between processes', () => {
    const claimsPerWorker = children.map((c) => Number(/claims (\d+)/.exec(c.stdout)?.[1] ?? 0));
    expect(claimsPerWorker.reduce((a, b) => a + b, 0)).toBe(MEMBERS * TARGET_STEP);
    const workers = new Set(results.map((r) => r.metrics?.worker));
    expect(workers.size).toBeGreaterThanOrEqual(2);
  });

  it('logs each exploit with a checkpoint that exists and a step the donor had reached', () => {
    expect(lineage.length).toBeGreaterThan(0);
    const written = new Set(results.map((r) => r.checkpoint));
    for (const event of lineage) {
      expect(event.donor).not.toBe(event.memberId);
      expect(written.has(event.donorCheckpoint)).toBe(true);
      const reached = results.some((r) => r.memberId === event.donor && r.step === event.donorStep);
      expect(reached).toBe(true);
    }
  });
});
