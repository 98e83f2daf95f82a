/**
 * Defect 17.4: a PostgreSQL password is never stored and never printed, whichever form the URL
 * gives it in. The test server trusts every connection, so any password is accepted: what is
 * checked is where the secret ends up, not authentication.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adminQuery,
  dropSchema,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { runCli, tempDir } from './helpers.js';

const server = await testPostgres();
const SECRET = 's3cret-Pw9';

/** Every file under `dir`, read as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

if (server.url === undefined) {
  describe('secrets', () => {
    it.skip(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  const admin = server.url;
  const schemas: string[] = [];
  const urlWith = (form: 'userinfo' | 'query', schema: string): string => {
    const url = new URL(admin);
    url.searchParams.set('schema', schema);
    if (form === 'userinfo') url.password = SECRET;
    else url.searchParams.set('password', SECRET);
    return url.toString();
  };
  afterAll(async () => {
    for (const s of schemas) await dropSchema(admin, s);
  });

  describe('a PostgreSQL password is never stored or printed (defect 17.4)', () => {
    for (const form of ['userinfo', 'query'] as const) {
      it(`${form} form: not in the stored config, the output, worker logs or pbt export --format json`, async () => {
        const schema = uniqueSchema('secret');
        schemas.push(schema);
        const dir = tempDir();
        const storeUrl = urlWith(form, schema);
        const run = await runCli(
          [
            'run',
            'toy',
            '--budget',
            '40',
            '--population',
            '2',
            '--workers',
            '1',
            '--store',
            storeUrl,
          ],
          dir,
        );
        expect(run.code, run.stderr).toBe(0);
        const hint = await runCli(
          [
            'run',
            'toy',
            '--budget',
            '40',
            '--population',
            '2',
            '--workers',
            '0',
            '--store',
            storeUrl,
          ],
          dir,
        );
        expect(hint.code).toBe(0);
        expect(hint.stderr).toMatch(/pbt worker --store postgres:\/\//);
        const exported = await runCli(['export', '--format', 'json', '--store', storeUrl], dir);
        const status = await runCli(['status', '--json', '--store', storeUrl], dir);
        const stored = await adminQuery<{ config: unknown }>(
          admin,
          `SELECT config FROM ${schema}.experiments`,
        );
        expect(stored).toHaveLength(2);
        const storedText = JSON.stringify(stored);
        expect(storedText).toContain('postgres://');
        for (const text of [
          run.stdout,
          run.stderr,
          hint.stdout,
          hint.stderr,
          exported.stdout,
          status.stdout,
          storedText,
          allText(dir),
        ]) {
          expect(text).not.toContain(SECRET);
        }
      }, 120_000);
    }

    it('an experiment stored before the change (password in its config) still runs and never shows it', async () => {
      const schema = uniqueSchema('secret_old');
      schemas.push(schema);
      const dir = tempDir();
      const storeUrl = urlWith('userinfo', schema);
      const created = await runCli(
        [
          'run',
          'toy',
          '--name',
          'old',
          '--budget',
          '40',
          '--population',
          '2',
          '--workers',
          '0',
          '--store',
          storeUrl,
        ],
        dir,
      );
      expect(created.code).toBe(0);
      // What an older pbt wrote: the store URL with its password, in the experiment's config.
      const [row] = await adminQuery<{ id: string; config: string }>(
        admin,
        `SELECT id, config FROM ${schema}.experiments`,
      );
      const config = JSON.parse(row?.config ?? '{}') as Record<string, unknown>;
      await adminQuery(admin, `UPDATE ${schema}.experiments SET config = $1`, [
        JSON.stringify({ ...config, store: storeUrl }),
      ]);
      expect(
        (await adminQuery<{ config: string }>(admin, `SELECT config FROM ${schema}.experiments`))[0]
          ?.config,
      ).toContain(SECRET);
      const outputs = [
        await runCli(['status', '--json', '--store', storeUrl], dir),
        await runCli(['export', '--format', 'json', '--store', storeUrl], dir),
        await runCli(
          ['export', '--format', 'json', '-o', path.join(dir, 'e.json'), '--store', storeUrl],
          dir,
        ),
        await runCli(['resume', '--workers', '1', '--store', storeUrl], dir),
        await runCli(['best', '--json', '--store', storeUrl], dir),
        await runCli(['report', '-o', path.join(dir, 'r.html'), '--store', storeUrl], dir),
      ];
      for (const o of outputs) {
        expect(o.code, o.stderr).toBe(0);
        expect(o.stdout + o.stderr).not.toContain(SECRET);
      }
      expect(outputs[0]?.stdout).toContain('postgres://');
      expect(allText(dir)).not.toContain(SECRET);
    }, 120_000);

    it('read-only commands on a PostgreSQL schema without pbt tables say "no such store" and create nothing (defect 17.7)', async () => {
      const dir = tempDir();
      const schema = uniqueSchema('absent');
      schemas.push(schema);
      const url = urlWith('query', schema);
      for (const command of ['list', 'status']) {
        const out = await runCli([command, '--store', url], dir);
        expect(out.code, command).toBe(2);
        expect(out.stderr).toMatch(/no such store: .* has no pbt tables/);
        expect(out.stderr).not.toContain(SECRET);
      }
      const found = await adminQuery<{ n: number }>(
        admin,
        'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1',
        [schema],
      );
      expect(found[0]?.n).toBe(0);
    });

    it('error messages mask the ?password= form', async () => {
      const dir = tempDir();
      const bad = `${admin.split('?')[0]}?schema=Not-A-Name&password=${SECRET}`;
      const out = await runCli(['list', '--store', bad], dir);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/is not a plain lowercase name/);
      expect(out.stderr).not.toContain(SECRET);
    });
  });
}
