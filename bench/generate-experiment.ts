/**
 * Writes a synthetic PBT experiment (default 1,000 members × 100 results) into a store, through
 * the real Store API, for the dashboard's scale bench or a look at a big population:
 *
 *   node --import tsx bench/generate-experiment.ts [--store sqlite:results/bench/dashboard.db]
 *     [--members 1000] [--results 100] [--id big-1000x100]
 *   pbt dashboard --store sqlite:results/bench/dashboard.db
 */
import { parseArgs } from 'node:util';
import { openStore } from '../src/engine/store/open-store.js';
import { writeSyntheticExperiment } from '../src/engine/testing/synthetic-experiment.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite:results/bench/dashboard.db' },
    members: { type: 'string', default: '1000' },
    results: { type: 'string', default: '100' },
    id: { type: 'string' },
  },
});
const members = Number(values.members);
const results = Number(values.results);
const id = values.id ?? `synthetic-${members}x${results}`;
const store = await openStore(values.store);
const t = performance.now();
try {
  await writeSyntheticExperiment(store, { id, members, results });
} finally {
  await store.close();
}
console.log(
  `${id}: ${members} members × ${results} results written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
