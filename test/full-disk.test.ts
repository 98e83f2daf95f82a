import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpointStore } from '../src/engine/checkpoints/open-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { runWorker } from '../src/engine/worker/worker.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { tempDir } from './helpers.js';

/** A real, small file system to fill: tmpfs needs root (CAP_SYS_ADMIN); skipped without it. */
function mountTmpfs(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs (${(err as Error).message.split('\n')[0] ?? ''})`;
  }
}

/** Write zeros until the file system says ENOSPC. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (;;) await handle.write(Buffer.alloc(4096));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await handle.close();
  }
}

const root = tempDir('pbt-full-disk-');
const disk = path.join(root, 'disk');
mkdirSync(disk);
const skip = mountTmpfs(disk);
afterAll(() => {
  if (skip === null) execFileSync('umount', [disk]);
});

describe.skipIf(skip !== null)('a full disk under the checkpoint directory (real tmpfs)', () => {
  it('ENOSPC records nothing, leaves no partial file, stops the worker with the cause; after freeing space the run resumes and loses nothing', async () => {
    const store = new SqliteStore(path.join(root, 'pbt.db'));
    const prepared = await prepareExperiment(
      { task: 'toy', population: 3, budget: { steps: 40 } },
      builtInTaskRegistry(),
    );
    const exp = await createExperiment(store, prepared);
    const checkpoints = openCheckpointStore(path.join(disk, 'ckpt'), undefined, exp);
    const options = {
      store,
      checkpoints,
      experimentId: exp.id,
      config: prepared.config,
      task: prepared.task,
      space: prepared.space,
      seed: exp.seed,
      pollMs: 1,
    };
    // Some progress first, then the disk fills up.
    const stop = new AbortController();
    let seen = 0;
    await runWorker({
      ...options,
      signal: stop.signal,
      onReadyPoint: () => void (++seen === 6 && stop.abort()),
    });
    const before = await store.listResults(exp.id);
    await fill(path.join(disk, 'filler'));
    await store.setExperimentStatus(exp.id, 'running');

    await expect(runWorker(options)).rejects.toThrow(/ENOSPC.*free space.*pbt resume/);
    expect(await store.listResults(exp.id)).toEqual(before);
    const members = await store.listMembers(exp.id);
    expect(members.every((m) => m.status === 'pending' && m.leaseOwner === null)).toBe(true);
    for (const m of members)
      await expect(checkpoints.get(m.checkpoint ?? '')).resolves.toBeTruthy();
    const leftovers = readdirSync(disk, { recursive: true }).map(String);
    expect(leftovers.filter((f) => f.endsWith('.tmp'))).toEqual([]);

    await rm(path.join(disk, 'filler'));
    expect((await runWorker(options)).stoppedBy).toBe('finished');
    const results = await store.listResults(exp.id);
    const keys = results.map((r) => `${r.memberId}@${r.step}`);
    expect(keys).toHaveLength(30);
    expect(new Set(keys).size).toBe(30);
    expect(results.every((r) => r.error === null)).toBe(true);
    await store.close();
  }, 60_000);
});
