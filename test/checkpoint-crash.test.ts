import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectCheckpoints } from '../src/engine/checkpoints/collect.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { REPO, sleep, tempDir } from './helpers.js';

const script = fileURLToPath(new URL('./fixtures/crash-before-record-worker.ts', import.meta.url));

// A worker process killed after its checkpoint write became durable and before the record that
// references it (the window the overlapped write opens): the store must not name that file, the
// run must finish from the last recorded checkpoints, and collection must remove the orphan.
describe('a worker killed between a durable checkpoint write and its record', () => {
  it('leaves an unreferenced file that collection removes; another worker finishes the run', async () => {
    const dir = tempDir('pbt-ckpt-crash-');
    const db = path.join(dir, 'pbt.db');
    const checkpointsDir = path.join(dir, 'checkpoints');
    const marker = path.join(dir, 'stalled-key');
    const raw = {
      task: 'toy',
      population: 3,
      budget: { steps: 24 },
      ready: { every: 4 },
      mode: 'async',
      leaseSeconds: 1,
      initialHparams: [],
    };
    const prepared = await prepareExperiment(raw, builtInTaskRegistry());
    const store = new SqliteStore(db);
    const experiment = await createExperiment(store, prepared);

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        db,
        checkpointsDir,
        experiment.id,
        JSON.stringify(raw),
        marker,
        '5',
      ],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const start = Date.now();
    while (!existsSync(marker)) {
      if (Date.now() - start > 40_000) throw new Error(`the worker never stalled: ${stderr}`);
      await sleep(20);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const key = readFileSync(marker, 'utf8');
    const checkpoints = new FilesystemCheckpointStore(checkpointsDir);
    // The file is durable on disk, and nothing in the store names it.
    expect(await checkpoints.has(key)).toBe(true);
    const before = await store.listResults(experiment.id);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.some((r) => r.checkpoint === key)).toBe(false);
    expect((await store.listMembers(experiment.id)).some((m) => m.checkpoint === key)).toBe(false);
    expect((await store.referencedCheckpoints()).has(key)).toBe(false);
    // Every checkpoint the store does name is readable.
    for (const k of await store.referencedCheckpoints()) await checkpoints.get(k);

    // Another worker takes the members over once the dead worker's leases expire.
    const summary = await runWorker({
      store,
      checkpoints,
      experimentId: experiment.id,
      config: prepared.config,
      task: prepared.task,
      space: prepared.space,
      seed: experiment.seed,
      pollMs: 20,
      collect: false,
    });
    expect(summary.stoppedBy).toBe('finished');
    const results = await store.listResults(experiment.id);
    const points = results.map((r) => `${r.memberId}@${r.step}`);
    expect(new Set(points).size).toBe(points.length);
    expect(points).toHaveLength(18);
    expect(results.every((r) => r.score !== null)).toBe(true);

    // Collection removes the orphan unless a later, recorded write produced the same bytes.
    await collectCheckpoints(store, checkpoints, 0);
    const referenced = await store.referencedCheckpoints();
    expect(await checkpoints.has(key)).toBe(referenced.has(key));
    for (const k of referenced) await checkpoints.get(k);
    await checkpoints.close();
    await store.close();
  }, 90_000);
});
