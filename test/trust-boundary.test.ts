/**
 * Defect 17.9: a worker imports the module path stored in the experiment, so it runs only
 * built-in tasks unless told which modules it may import (--allow-tasks or PBT_ALLOW_TASKS).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { PBT_BIN, runCli, tempDir } from './helpers.js';

/** A tiny task that leaves a marker file when its module is imported. */
const TASK = `import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./imported.marker', import.meta.url), 'imported');
export default () => ({
  name: 'marker',
  space: { x: { type: 'uniform', min: 0, max: 1 } },
  create: async (h) => ({ x: h.x, steps: 0 }),
  train: async (s, h, steps) => { s.x = h.x; s.steps += steps; },
  evaluate: async (s) => ({ score: -((s.x - 0.5) ** 2) }),
  save: async (s) => new TextEncoder().encode(JSON.stringify(s)),
  load: async (bytes, h) => ({ ...JSON.parse(new TextDecoder().decode(bytes)), x: h.x }),
});
`;

function worker(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [PBT_BIN, 'worker', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

describe('workers import only allowed task modules (defect 17.9)', () => {
  it('a worker refuses a stored module path by default without importing it; --allow-tasks and PBT_ALLOW_TASKS allow it', async () => {
    const dir = tempDir();
    const store = `sqlite:${path.join(dir, 'pbt.db')}`;
    writeFileSync(path.join(dir, 'task.mjs'), TASK);
    const marker = path.join(dir, 'imported.marker');
    const created = await runCli(
      [
        'run',
        './task.mjs',
        '--budget',
        '20',
        '--population',
        '2',
        '--workers',
        '0',
        '--store',
        store,
      ],
      dir,
    );
    expect(created.code, created.stderr).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(marker); // pbt run imported it: the user named it

    const refused = worker(dir, ['--store', store]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/not allowed to import .*--allow-tasks builtin,.*task\.mjs/s);
    expect(existsSync(marker)).toBe(false);

    const otherGlob = worker(dir, ['--store', store, '--allow-tasks', 'builtin,./tasks/*.mjs']);
    expect(otherGlob.status).toBe(2);
    expect(existsSync(marker)).toBe(false);

    const viaEnv = worker(dir, ['--store', store], { PBT_ALLOW_TASKS: `builtin,${dir}/*.mjs` });
    expect(viaEnv.status, viaEnv.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  }, 120_000);

  it('pbt run ./task.mjs still runs its own local workers (they are allowed the module the user named)', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'task.mjs'), TASK);
    const out = await runCli(
      [
        'run',
        './task.mjs',
        '--budget',
        '20',
        '--population',
        '2',
        '--workers',
        '1',
        '--store',
        `sqlite:${path.join(dir, 'pbt.db')}`,
      ],
      dir,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/done in/);
  }, 120_000);
});

const server = await testPostgres();

describe('pbt resume of a PostgreSQL-stored module task follows the allow-list (defect 17.9)', () => {
  if (server.url === undefined) {
    it.skip(`skipped: ${server.skip}`, () => undefined);
    return;
  }
  const admin = server.url;
  const schema = uniqueSchema('trust');
  afterAll(() => dropSchema(admin, schema));

  it('refuses without --allow-tasks (changing nothing) and runs with it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'task.mjs'), TASK);
    const store = schemaUrl(admin, schema);
    const created = await runCli(
      [
        'run',
        './task.mjs',
        '--budget',
        '20',
        '--population',
        '2',
        '--workers',
        '0',
        '--store',
        store,
      ],
      dir,
    );
    expect(created.code, created.stderr).toBe(0);
    const status = async (): Promise<string> =>
      (await runCli(['status', '--json', '--store', store], dir)).stdout;
    const before = await status();
    const refused = await runCli(['resume', '--workers', '1', '--store', store], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not allowed to import/);
    expect(await status()).toBe(before);
    const allowed = await runCli(
      ['resume', '--workers', '1', '--allow-tasks', 'builtin,./*.mjs', '--store', store],
      dir,
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/done in/);
  }, 120_000);
});
