import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sleep, startCli, tempDir } from './helpers.js';

describe('pbt dashboard (CLI)', () => {
  it('refuses a bad port and a missing store with exit 2, creating nothing', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'none.db');
    const port = await runCli(['dashboard', '--port', 'abc', '--store', `sqlite:${db}`], dir);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port abc is not a port/);
    const missing = await runCli(['dashboard', '--port', '0', '--store', `sqlite:${db}`], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such store/);
    expect(existsSync(db)).toBe(false);
  }, 60_000);

  it('warns when listening on anything but 127.0.0.1, and serves there; SIGTERM stops it with exit 0', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const run = await runCli(
      ['run', 'toy', '--budget', '20', '--workers', '1', '--store', `sqlite:${db}`],
      dir,
    );
    expect(run.code).toBe(0);
    const dashboard = startCli(
      ['dashboard', '--host', '127.0.0.2', '--port', '0', '--store', `sqlite:${db}`],
      dir,
    );
    let stderr = '';
    dashboard.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 100 && !/http:\/\//.test(stderr); i++) await sleep(100);
    expect(stderr).toMatch(/warning: listening on 127\.0\.0\.2, not 127\.0\.0\.1/);
    const url = /(http:\/\/127\.0\.0\.2:\d+\/)/.exec(stderr)?.[1] ?? '';
    expect((await fetch(`${url}api/experiments`)).status).toBe(200);
    dashboard.child.kill('SIGTERM');
    expect((await dashboard.result).code).toBe(0);
  }, 60_000);
});
