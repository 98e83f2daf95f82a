/**
 * Checkpoint disk use stays O(population) over a long run (issue 17, defect 8).
 *
 *   npx tsx bench/checkpoint-disk.ts --store sqlite:/tmp/d.db --checkpoints /tmp/d-ckpt
 *   PBT_BENCH_POSTGRES_URL=postgres://…/db?schema=disk npx tsx bench/checkpoint-disk.ts --postgres
 *
 * Options: --population 8 --budget 2000 --workers 4 --step-ms 5 --collect-every 500
 * --collect-min-age 1000. Prints one JSON line.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureCheckpointDisk } from './lib/checkpoint-disk.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    checkpoints: { type: 'string' },
    postgres: { type: 'boolean' },
    population: { type: 'string', default: '8' },
    budget: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '4' },
    'step-ms': { type: 'string', default: '5' },
    'collect-every': { type: 'string', default: '500' },
    'collect-min-age': { type: 'string', default: '1000' },
  },
});
const dir = mkdtempSync(path.join(tmpdir(), 'pbt-bench-disk-'));
const pg = process.env['PBT_BENCH_POSTGRES_URL'];
if (values.postgres === true && pg === undefined) {
  console.error('--postgres needs PBT_BENCH_POSTGRES_URL=postgres://user@host/db?schema=name');
  process.exit(2);
}
const report = await measureCheckpointDisk({
  store:
    values.postgres === true ? (pg ?? '') : (values.store ?? `sqlite:${path.join(dir, 'pbt.db')}`),
  checkpoints:
    values.postgres === true ? 'postgres' : (values.checkpoints ?? path.join(dir, 'checkpoints')),
  population: Number(values.population),
  budget: Number(values.budget),
  workers: Number(values.workers),
  stepMs: Number(values['step-ms']),
  collectEveryMs: Number(values['collect-every']),
  collectMinAgeMs: Number(values['collect-min-age']),
});
const { timeline, ...figures } = report;
const half = Math.floor(timeline.length / 2);
console.log(
  JSON.stringify({
    ...figures,
    peakFirstHalf: Math.max(0, ...timeline.slice(0, half)),
    peakSecondHalf: Math.max(0, ...timeline.slice(half)),
  }),
);
