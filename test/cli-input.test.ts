import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

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
});
