/** Defect 17.6: bounds on what a config, an id and a task module may be. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/engine/core/errors.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { MemoryStore } from '../src/engine/store/memory/memory-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { builtInTaskRegistry } from '../src/workloads/index.js';
import { runCli, tempDir } from './helpers.js';

describe('__proto__ keys cannot set values past the unknown-key check', () => {
  it('rejects them in JSON and YAML experiment files and in --set, creating nothing', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const json = path.join(dir, 'exp.json');
    writeFileSync(json, '{"task":"toy","budget":{"steps":20},"__proto__":{"population":99}}');
    const yaml = path.join(dir, 'exp.yaml');
    writeFileSync(yaml, 'task: toy\nbudget:\n  steps: 20\n  __proto__:\n    steps: 99\n');
    const cases: [string[], RegExp][] = [
      [['run', json], /__proto__: "__proto__" is not allowed as a key/],
      [['run', yaml], /budget.__proto__: "__proto__" is not allowed as a key/],
      [['run', 'toy', '--set', '__proto__={"x":1}'], /"__proto__" is not allowed as a key/],
    ];
    for (const [args, message] of cases) {
      const out = await runCli([...args, '--workers', '0', '--store', `sqlite:${db}`], dir);
      expect(out.code, args.join(' ')).toBe(2);
      expect(out.stderr).toMatch(message);
    }
    expect(existsSync(db)).toBe(false);
  }, 60_000);

  it('rejects them in a config given to the library', async () => {
    const raw = JSON.parse(
      '{"task":"toy","budget":{"steps":20},"__proto__":{"population":99}}',
    ) as Record<string, unknown>;
    await expect(prepareExperiment(raw, builtInTaskRegistry())).rejects.toThrow(
      /"__proto__" is not allowed/,
    );
  });
});

describe('experiment ids are validated when an experiment is created', () => {
  for (const [name, open] of [
    ['MemoryStore', () => new MemoryStore()],
    ['SqliteStore', () => new SqliteStore(path.join(tempDir(), 'pbt.db'))],
  ] as const) {
    it(`${name} refuses ../../../escaped and other non-names, writing nothing`, async () => {
      const store = open();
      for (const id of ['../../../escaped', 'a/b', '', '.hidden', 'x'.repeat(200), 'a..b']) {
        await expect(
          store.createExperiment({
            id,
            task: 'toy',
            config: {},
            seed: 0,
            members: [{ lr: 0.1 }],
            now: 1,
          }),
        ).rejects.toThrow(ConfigError);
      }
      expect(await store.listExperiments()).toEqual([]);
      await store.createExperiment({
        id: 'toy-20261207-040532-d574',
        task: 'toy',
        config: {},
        seed: 0,
        members: [{ lr: 0.1 }],
        now: 1,
      });
      expect(await store.listExperiments()).toHaveLength(1);
      await store.close();
    });
  }
});

describe('a task module is checked when it is loaded', () => {
  it('a factory returning a non-object, or a task without train/save, is rejected by name (exit 2)', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    writeFileSync(path.join(dir, 'number.mjs'), 'export default () => 42;\n');
    writeFileSync(
      path.join(dir, 'no-train.mjs'),
      `export default () => ({
  name: 'no-train',
  space: { lr: { type: 'loguniform', min: 0.001, max: 0.1 } },
  create: async () => ({}),
  evaluate: async () => ({ score: 0 }),
  load: async () => ({}),
});
`,
    );
    const number = await runCli(
      ['run', './number.mjs', '--budget', '10', '--store', `sqlite:${db}`],
      dir,
    );
    expect(number.code).toBe(2);
    expect(number.stderr).toMatch(/factory returned a number, not a task object/);
    const noTrain = await runCli(
      ['run', './no-train.mjs', '--budget', '10', '--store', `sqlite:${db}`],
      dir,
    );
    expect(noTrain.code).toBe(2);
    expect(noTrain.stderr).toMatch(/is missing train\(\), save\(\)/);
    expect(existsSync(db)).toBe(false);
  }, 60_000);
});
