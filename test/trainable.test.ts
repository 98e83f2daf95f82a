import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { createExperiment } from '../src/engine/setup/create-experiment.js';
import { prepareExperiment } from '../src/engine/setup/prepare-experiment.js';
import { openStore } from '../src/engine/store/open-store.js';
import type { Store } from '../src/engine/store/store.js';
import { TaskRegistry } from '../src/engine/tasks/registry.js';
import { runWorker, type WorkerSummary } from '../src/engine/worker/worker.js';
import {
  dropSchema,
  schemaUrl,
  testPostgres,
  uniqueSchema,
} from './fixtures/postgres-test-database.js';
import { PBT_BIN, REPO, runCli, sleep, tempDir } from './helpers.js';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'trainables');
const FAULTY = quote([process.execPath, path.join(FIXTURES, 'faulty.js')]);
const TINY_NODE = quote([process.execPath, '--import', 'tsx', path.join(FIXTURES, 'tiny-node.ts')]);
const SPACE = { lr: { type: 'loguniform', min: 0.01, max: 0.3 } };

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const pidsIn = (file: string): number[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

interface Run {
  readonly store: Store;
  readonly id: string;
  readonly summary: WorkerSummary;
  readonly logs: string[];
  readonly pids: number[];
}

/** Create an experiment of a trainable in `storeUrl` and run one in-process worker on it. */
async function runTrainable(
  command: string,
  opts: {
    env?: Record<string, string>;
    timeoutSeconds?: number;
    maxFailures?: number;
    storeUrl?: string;
    population?: number;
  } = {},
): Promise<Run> {
  const dir = tempDir('pbt-trainable-');
  const pidsFile = path.join(dir, 'pids');
  const prepared = await prepareExperiment(
    {
      trainable: {
        command,
        env: { PIDS_FILE: pidsFile, FAULT_ONCE_FILE: path.join(dir, 'once'), ...opts.env },
        cwd: REPO,
        ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
      },
      space: SPACE,
      population: opts.population ?? 3,
      budget: { steps: 40 },
      ready: { every: 10 },
      seed: 1,
      ...(opts.maxFailures !== undefined ? { maxFailures: opts.maxFailures } : {}),
    },
    new TaskRegistry(),
  );
  const store = await openStore(opts.storeUrl ?? `sqlite:${path.join(dir, 'pbt.db')}`);
  const experiment = await createExperiment(store, prepared);
  const logs: string[] = [];
  const summary = await runWorker({
    store,
    checkpoints: new FilesystemCheckpointStore(path.join(dir, 'checkpoints')),
    experimentId: experiment.id,
    config: prepared.config,
    task: prepared.task,
    space: prepared.space,
    seed: experiment.seed,
    pollMs: 5,
    log: (m) => logs.push(m),
  });
  return { store, id: experiment.id, summary, logs, pids: pidsIn(pidsFile) };
}

const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

/** PBT ran to the end, every member done at the budget, and no trainable process is left. */
async function expectFinishedCleanly(run: Run): Promise<void> {
  stores.push(run.store);
  expect(run.summary.stoppedBy).toBe('finished');
  const members = await run.store.listMembers(run.id);
  expect(members.map((m) => [m.status, m.step])).toEqual(members.map(() => ['done', 40]));
  expect(await waitFor(() => run.pids.every((p) => !alive(p)), 3000)).toBe(true);
}

describe('trainables: PBT over the line protocol with real processes', () => {
  it('a tiny Node trainable (TypeScript helper) runs PBT on SQLite in one warm process', async () => {
    const run = await runTrainable(TINY_NODE);
    await expectFinishedCleanly(run);
    // One worker, three members: the process is reused for every member (init/load requests).
    expect(run.pids.length).toBe(1);
    expect(run.logs.some((l) => /member \d: tiny-node trainable started/.test(l))).toBe(true);
    const results = await run.store.listResults(run.id);
    expect(results.length).toBe(12);
    expect(results.every((r) => r.score !== null && Number.isFinite(r.score))).toBe(true);
    expect(run.summary.exploits).toBeGreaterThan(0);
  }, 60_000);

  const python = findPython();
  it.skipIf(python === null)(
    `a tiny Python trainable (pbt_trainable.py) runs PBT through \`pbt run --command --space\`${python === null ? ' — SKIPPED: no working python3 (set PBT_TEST_PYTHON)' : ''}`,
    async () => {
      const dir = tempDir('pbt-trainable-py-');
      writeFileSync(
        path.join(dir, 'space.yaml'),
        'lr: { type: loguniform, min: 0.01, max: 0.3 }\n',
      );
      const res = await runCli(
        [
          'run',
          '--command',
          quote([python ?? 'python3', path.join(FIXTURES, 'tiny.py')]),
          '--space',
          'space.yaml',
          '--population',
          '3',
          '--budget',
          '30',
          '--ready',
          '10',
          '--workers',
          '1',
          '--store',
          'sqlite:pbt.db',
        ],
        dir,
      );
      expect(res.stderr).toMatch(/created experiment tiny-py-/);
      expect(res.code).toBe(0);
      const store = await openStore(`sqlite:${path.join(dir, 'pbt.db')}`);
      stores.push(store);
      const [experiment] = await store.listExperiments();
      const members = await store.listMembers(experiment?.id ?? '');
      expect(members.map((m) => [m.status, m.step])).toEqual([
        ['done', 30],
        ['done', 30],
        ['done', 30],
      ]);
      const log = readFileSync(
        path.join(dir, '.pbt', 'logs', `${experiment?.id}`, 'worker-0.log'),
        'utf8',
      );
      expect(log).toMatch(/member \d: member \d at step \d+: theta/);
    },
    60_000,
  );
});

describe('the helpers exit by themselves when pbt goes away', () => {
  const python = findPython();
  const helpers: [string, string[] | null][] = [
    [
      'Node (pbt/trainable)',
      [process.execPath, '--import', 'tsx', path.join(FIXTURES, 'tiny-node.ts')],
    ],
    [
      'Python (pbt_trainable.py)',
      python === null ? null : [python, path.join(FIXTURES, 'tiny.py')],
    ],
  ];
  for (const [name, argv] of helpers) {
    it.skipIf(argv === null)(
      `${name}: end of stdin ends the trainable${argv === null ? ' — SKIPPED: no working python3' : ''}`,
      async () => {
        const [file, ...rest] = argv ?? [''];
        const child = spawn(file ?? '', rest, {
          cwd: REPO,
          env: { ...process.env, PYTHONPATH: path.join(REPO, 'python') },
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        child.stdin.end();
        expect(await exited).toBe(0);
      },
      30_000,
    );
  }
});

describe('trainable faults: a clear error naming member, request and line; the member recovered; no process left', () => {
  const cases: [string, RegExp][] = [
    [
      'crash',
      /member 1: trainable .* exited with code 3 during request \d+: train .*simulated crash/s,
    ],
    [
      'malformed',
      /member 1: trainable .* printed a malformed protocol line .* during request \d+: train .*offending line: "@pbt \{\\"v\\": 1, \\"id\\": oops\}"/,
    ],
    [
      'wrong-id',
      /member 1: trainable .* answered request \d+ instead during request \d+: train .*offending line/,
    ],
    [
      'nan',
      /member 1: trainable returned a non-finite score \(NaN\) during request \d+: evaluate; offending line: .*"score\\":\\"NaN\\"/,
    ],
    [
      'no-save',
      /saving the checkpoint failed: member 1: trainable answered request \d+: save \(.*\) but left no readable checkpoint file there/,
    ],
  ];
  for (const [fault, message] of cases) {
    it(`${fault}: the ready point fails with a clear error and member 1 is recovered from a donor`, async () => {
      const run = await runTrainable(FAULTY, { env: { FAULT: fault } });
      await expectFinishedCleanly(run);
      const failed = (await run.store.listResults(run.id)).filter((r) => r.score === null);
      expect(failed.map((r) => r.memberId)).toEqual([1]);
      expect(failed[0]?.memberId).toBe(1);
      expect(failed[0]?.error).toMatch(message);
      const lineage = await run.store.listLineage(run.id);
      expect(
        lineage.some(
          (e) => e.memberId === 1 && e.operations[0] === 'recovered from a failed ready point',
        ),
      ).toBe(true);
    }, 60_000);
  }

  it('hang: a request that takes longer than trainable.timeoutSeconds fails, the process group is killed', async () => {
    const run = await runTrainable(FAULTY, { env: { FAULT: 'hang' }, timeoutSeconds: 1 });
    await expectFinishedCleanly(run);
    const failed = (await run.store.listResults(run.id)).filter((r) => r.score === null);
    expect(failed.map((r) => r.memberId)).toEqual([1]);
    expect(failed[0]?.error).toMatch(
      /member 1: trainable .* did not answer within 1 s \(trainable\.timeoutSeconds\); killed it during request \d+: train/,
    );
  }, 60_000);

  it('a trainable that always crashes fails its member after maxFailures; the others finish', async () => {
    const run = await runTrainable(FAULTY, {
      env: { FAULT: 'crash', FAULT_STEP: '0', FAULT_ONCE_FILE: '' },
      maxFailures: 2,
      population: 2,
    });
    stores.push(run.store);
    const members = await run.store.listMembers(run.id);
    expect(members[1]?.status).toBe('failed');
    expect(members[0]).toMatchObject({ status: 'done', step: 40 });
    expect(await waitFor(() => run.pids.every((p) => !alive(p)), 3000)).toBe(true);
  }, 60_000);

  it('SIGKILL of a real `pbt worker` while its trainable is busy leaves no trainable or grandchild process', async () => {
    const dir = tempDir('pbt-trainable-kill-');
    const pidsFile = path.join(dir, 'pids');
    const db = `sqlite:${path.join(dir, 'pbt.db')}`;
    const prepared = await prepareExperiment(
      {
        trainable: {
          command: FAULTY,
          env: { FAULT: 'busy', FAULT_STEP: '0', PIDS_FILE: pidsFile },
        },
        space: SPACE,
        population: 2,
        budget: { steps: 40 },
        ready: { every: 10 },
        store: db,
        checkpoints: path.join(dir, 'checkpoints'),
      },
      new TaskRegistry(),
      dir,
    );
    const store = await openStore(db);
    stores.push(store);
    const experiment = await createExperiment(store, prepared);
    const worker = spawn(
      process.execPath,
      // A trainable command from the store runs only where the worker allows it (trust boundary).
      [
        PBT_BIN,
        'worker',
        '--store',
        db,
        '--experiment',
        experiment.id,
        '--allow-tasks',
        'command:*',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    // The busy trainable writes its own pid, then its grandchild's.
    expect(await waitFor(() => pidsIn(pidsFile).length >= 2, 20_000)).toBe(true);
    const pids = pidsIn(pidsFile);
    expect(pids.every(alive)).toBe(true);
    worker.kill('SIGKILL');
    expect(await waitFor(() => pids.every((p) => !alive(p)), 5000)).toBe(true);
  }, 60_000);
});

describe('trainable bad input: exit 2 with what is wrong and how to fix it, nothing created', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'no search space',
      ['--command', 'python3 train.py'],
      /space: a trainable needs its search space/,
    ],
    [
      'a program that does not exist',
      ['--command', 'no-such-program-xyz train.py', '--space', 'space.yaml'],
      /trainable\.command: cannot find the program "no-such-program-xyz" on PATH/,
    ],
    [
      'shell syntax',
      ['--command', 'python3 train.py | tee log', '--space', 'space.yaml'],
      /uses shell syntax .*put pipes, redirections and globs in a script/,
    ],
    [
      'task options, which a trainable would never see',
      ['--command', 'python3 train.py', '--space', 'space.yaml', '--set', 'lr=0.1'],
      /a trainable takes no task options \(lr\); pass them to the program with trainable\.args or trainable\.env/,
    ],
    [
      'a bad timeout',
      ['--command', 'python3 train.py', '--space', 'space.yaml', '--trainable-timeout', '0'],
      /--trainable-timeout must be a positive number of seconds/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(
      what,
      async () => {
        const dir = tempDir('pbt-trainable-bad-');
        writeFileSync(
          path.join(dir, 'space.yaml'),
          'lr: { type: loguniform, min: 0.01, max: 0.3 }\n',
        );
        const res = await runCli(
          ['run', ...args, '--budget', '20', '--store', 'sqlite:pbt.db'],
          dir,
        );
        expect(res.stderr).toMatch(message);
        expect(res.code).toBe(2);
        expect(existsSync(path.join(dir, 'pbt.db'))).toBe(false);
      },
      30_000,
    );
  }
});

describe('trainables on PostgreSQL', async () => {
  const pg = await testPostgres();
  it.skipIf(pg.skip !== undefined)(
    `a tiny Node trainable runs PBT with a PostgreSQL store${pg.skip ? ` — SKIPPED: ${pg.skip}` : ''}`,
    async () => {
      const schema = uniqueSchema('trainable');
      const url = schemaUrl(pg.url ?? '', schema);
      try {
        const run = await runTrainable(TINY_NODE, { storeUrl: url });
        await expectFinishedCleanly(run);
        expect((await run.store.listResults(run.id)).length).toBe(12);
      } finally {
        await dropSchema(pg.url ?? '', schema);
      }
    },
    60_000,
  );
});

/** PBT_TEST_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH; null when none runs. */
function findPython(): string | null {
  const candidates = [process.env.PBT_TEST_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['-c', 'import json, threading'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return null;
}
