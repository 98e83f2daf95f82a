import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../src/engine/config/experiment-config.js';
import { ashaSettingsOf } from '../src/engine/setup/prepare-experiment.js';
import { ashaCost, ashaRungSizes } from '../src/engine/strategies/asha.js';
import { openStore } from '../src/engine/store/open-store.js';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { runCli, tempDir } from './helpers.js';

const server = await testPostgres();
const POPULATION = 4;
const BUDGET = 90;

/**
 * `pbt run toy --method asha` with two real worker processes: every member's results must be
 * exactly a prefix of the rungs (a member promoted twice would train a rung twice or skip one),
 * each rung must hold exactly the members the capped rule allows, and the steps spent must equal
 * the exact cost, never more than the population's budget.
 */
async function runAndCheck(storeUrl: string, dir: string): Promise<void> {
  const out = await runCli(
    [
      'run',
      'toy',
      '--method',
      'asha',
      '--workers',
      '2',
      '--population',
      String(POPULATION),
      '--budget',
      String(BUDGET),
      '--set',
      'stepMs=3',
      '--store',
      storeUrl,
      '--checkpoints',
      path.join(dir, 'ckpt'),
    ],
    dir,
  );
  expect(out.code, out.stderr).toBe(0);
  const store = await openStore(storeUrl);
  try {
    const [exp] = await store.listExperiments();
    expect(exp?.status).toBe('done');
    const id = exp?.id ?? '';
    const config = parseExperimentConfig(exp?.config);
    const settings = ashaSettingsOf(config);
    expect(settings.rungs).toEqual([3, 9, 27, 90]);
    const members = await store.listMembers(id);
    const results = await store.listResults(id);
    const n = members.length;
    expect(ashaCost(n, settings)).toBeLessThanOrEqual(POPULATION * BUDGET);
    expect(ashaCost(n + 1, settings)).toBeGreaterThan(POPULATION * BUDGET);
    for (const m of members) {
      const steps = results.filter((r) => r.memberId === m.id).map((r) => r.step);
      expect(steps, `member ${m.id}`).toEqual(settings.rungs.slice(0, steps.length));
      expect(m.status).toBe('done');
      expect(m.step).toBe(steps.at(-1));
    }
    const reached = settings.rungs.map((r) => members.filter((m) => m.step >= r).length);
    expect(reached).toEqual(ashaRungSizes(n, settings));
    expect(members.reduce((s, m) => s + m.step, 0)).toBe(ashaCost(n, settings));
  } finally {
    await store.close();
  }
}

describe('ASHA with real worker processes', () => {
  it('SQLite: no member promoted twice, rung sizes and budget exact', async () => {
    const dir = tempDir();
    await runAndCheck(`sqlite:${path.join(dir, 'pbt.db')}`, dir);
  }, 120_000);

  const pg = server.url;
  const schema = uniqueSchema('asha');
  afterAll(async () => {
    if (pg !== undefined) await dropSchema(pg, schema);
  });
  it.skipIf(pg === undefined)(
    'PostgreSQL: no member promoted twice, rung sizes and budget exact',
    async () => {
      const dir = tempDir();
      await runAndCheck(schemaUrl(pg ?? '', schema), dir);
    },
    120_000,
  );
});
