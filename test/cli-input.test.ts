import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchWorkers } from '../src/engine/worker/launcher.js';
import { PBT_BIN, runCli, startCli, tempDir } from './helpers.js';

const sqlite = (dir: string): string => `sqlite:${path.join(dir, 'pbt.db')}`;

describe('bad CLI input exits 2 with a message and creates nothing', () => {
  it('pbt export --format xml exits 2 (defect 17.7)', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const created = await runCli(['run', 'toy', '--workers', '0', '--store', `sqlite:${db}`], dir);
    expect(created.code).toBe(0);
    const out = await runCli(['export', '--format', 'xml', '--store', `sqlite:${db}`], dir);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--format must be json or csv, got "xml"/);
    expect(existsSync(db)).toBe(true);
  });

  it('every numeric flag of run is validated: hex, exponents, fractions, negatives, over the limit (defect 17.3, 17.6)', async () => {
    const dir = tempDir();
    const cases: [string[], RegExp][] = [
      [['--population', '0x10'], /--population must be a whole number.*got "0x10"/],
      [['--population', '1e9'], /--population must be a whole number.*got "1e9"/],
      [['--population', '20000'], /--population must be from 1 to 10,000, got "20000"/],
      [['--workers', '1.5'], /--workers must be a whole number.*got "1.5"/],
      [['--workers', '-1'], /--workers must be a whole number.*got "-1"/],
      [['--budget', 'Infinity'], /--budget must be a whole number/],
      [['--seed', '-3'], /--seed must be a whole number/],
      [['--lease', '1e3'], /--lease must be a number.*got "1e3"/],
      [['--ready', 'abc'], /--ready must be a number/],
    ];
    for (const [flags, message] of cases) {
      const out = await runCli(['run', 'toy', ...flags, '--store', sqlite(dir)], dir);
      expect(out.code, flags.join(' ')).toBe(2);
      expect(out.stderr).toMatch(message);
    }
    expect(existsSync(path.join(dir, 'pbt.db'))).toBe(false);
  }, 60_000);

  it('pbt resume --workers abc / -1 / 1.5 / 0 exits 2 at once and leaves the experiment as it was (defect 17.3)', async () => {
    const dir = tempDir();
    const created = await runCli(['run', 'toy', '--workers', '0', '--store', sqlite(dir)], dir);
    expect(created.code).toBe(0);
    const statusNow = async (): Promise<unknown> =>
      JSON.parse((await runCli(['status', '--json', '--store', sqlite(dir)], dir)).stdout);
    const before = await statusNow();
    for (const workers of ['abc', '-1', '1.5', '0', '0x2']) {
      const started = Date.now();
      const out = await runCli(['resume', '--workers', workers, '--store', sqlite(dir)], dir);
      expect(out.code, workers).toBe(2);
      expect(out.stderr).toMatch(/--workers must be a whole number|--workers must be from 1/);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    expect(await statusNow()).toEqual(before);
  }, 90_000);

  it('a config file over the population limit is rejected with the documented limit (defect 17.6)', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    const file = path.join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify({ task: 'toy', population: 1e9, budget: { steps: 10 } }));
    const out = await runCli(['run', file, '--store', sqlite(dir)], dir);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/population: must be at most 10,000/);
    expect(existsSync(path.join(dir, 'pbt.db'))).toBe(false);
  });
});

describe('launcher and signals', () => {
  it("the launcher's done resolves whatever the worker count (0, -1, NaN) (defect 17.3)", async () => {
    for (const workers of [0, -1, Number.NaN]) {
      const launched = launchWorkers({
        storeUrl: 'sqlite:/nonexistent/never-opened.db',
        experimentId: 'x',
        workers,
        logDir: tempDir(),
      });
      await expect(
        Promise.race([
          launched.done.then(() => 'done'),
          new Promise((r) => setTimeout(() => r('hung'), 2_000)),
        ]),
      ).resolves.toBe('done');
      await launched.stop(100);
    }
  });

  it('pbt resume honours SIGTERM: workers release their members, exit 130 (defect 17.3)', async () => {
    const dir = tempDir();
    const created = await runCli(
      ['run', 'toy', '--budget', '200000', '--workers', '0', '--store', sqlite(dir)],
      dir,
    );
    expect(created.code).toBe(0);
    const { child, result } = startCli(['resume', '--workers', '1', '--store', sqlite(dir)], dir);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/worker process/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2_000));
    child.kill('SIGTERM');
    const out = await result;
    expect(out.code).toBe(130);
    expect(out.stderr).toMatch(/continue with: pbt resume/);
  }, 90_000);
});

describe('read-only commands', () => {
  it('pbt list/status/export --store sqlite:new.db say "no such store" (exit 2) and create no file (defect 17.7)', async () => {
    const dir = tempDir();
    for (const command of ['list', 'status', 'export', 'best', 'resume']) {
      const out = await runCli([command, '--store', 'sqlite:new.db'], dir);
      expect(out.code, command).toBe(2);
      expect(out.stderr).toMatch(/no such store: .*new\.db does not exist/);
    }
    expect(existsSync(path.join(dir, 'new.db'))).toBe(false);
  }, 60_000);

  it('pbt status | head (reader gone) exits 0 without an EPIPE error (defect 17.7)', async () => {
    const dir = tempDir();
    const created = await runCli(
      ['run', 'toy', '--population', '300', '--workers', '0', '--store', sqlite(dir)],
      dir,
    );
    expect(created.code).toBe(0);
    const { spawnSync } = await import('node:child_process');
    for (const command of ['status', 'export']) {
      // `true` exits at once, so every write pbt makes meets a closed pipe.
      const piped = spawnSync(
        'bash',
        [
          '-o',
          'pipefail',
          '-c',
          `"${process.execPath}" "${PBT_BIN}" ${command} --store "${sqlite(dir)}" | true`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(piped.stderr, command).not.toMatch(/EPIPE|Error/);
      expect(piped.status, command).toBe(0);
    }
  }, 60_000);
});

describe('worker failures are not Ctrl-C (defect 17.5)', () => {
  it('a checkpoint directory that cannot be written: exit 1 with the cause, not 130 "stopped"', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    // A regular file where the checkpoint directory should be: every checkpoint write fails.
    const blocked = path.join(dir, 'checkpoints');
    writeFileSync(blocked, 'not a directory');
    const out = await runCli(
      [
        'run',
        'toy',
        '--budget',
        '40',
        '--population',
        '2',
        '--workers',
        '1',
        '--checkpoints',
        blocked,
        '--store',
        sqlite(dir),
      ],
      dir,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/failed after .*: .*(ENOTDIR|EEXIST|not a directory)/i);
    expect(out.stderr).toMatch(/log: .*worker-0\.log/);
    expect(out.stderr).not.toMatch(/^stopped after/m);
  }, 120_000);

  it('a log directory that cannot be created fails before the experiment is created', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    // Logs go next to the checkpoint directory: under a regular file they cannot be created.
    writeFileSync(path.join(dir, 'file'), '');
    const out = await runCli(
      [
        'run',
        'toy',
        '--workers',
        '1',
        '--checkpoints',
        path.join(dir, 'file', 'checkpoints'),
        '--store',
        sqlite(dir),
      ],
      dir,
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/cannot create the worker log directory .*file.logs/);
    expect(existsSync(path.join(dir, 'pbt.db'))).toBe(false);
  }, 60_000);
});
