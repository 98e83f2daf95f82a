/**
 * Training throughput of the nmt task's model (issue 6): target tokens per second of the GRU
 * encoder-decoder with attention on the real Europarl data, and the time of one evaluation
 * (decoding + BLEU of the evaluation subset), greedy and with beam search.
 *
 *   node --import tsx bench/nmt.ts [--steps 30] [--beam 4] [--set key=value ...]
 *
 * Writes results/nmt/bench.json. Prints the load average: on a shared machine every figure is
 * depressed, so compare runs taken under similar load only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '../src/engine/core/rng.js';
import { createNmtTask, decodeOptions, evaluateMember } from '../src/workloads/nmt/nmt-task.js';
import { parseTaskOptionSets } from '../src/engine/cli/task-option-sets.js';
import { parseNmtOptions } from '../src/workloads/nmt/options.js';
import type { TaskContext } from '../src/engine/tasks/task.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    beam: { type: 'string', default: '4' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join('results', 'nmt', 'bench.json') },
  },
});

// Parsed as `pbt run` parses them (`--set lowercase=false` is a boolean).
const options = parseNmtOptions(parseTaskOptionSets(values.set));
const task = createNmtTask(options);
const ctx: TaskContext = {
  experimentId: 'bench',
  memberId: 0,
  seed: 1,
  rng: createRng('bench-nmt'),
  step: 0,
  log: (m) => console.log(m),
};
const h = { lr: 1e-3, dropout: 0.2 };
const state = await task.create(h, ctx);
await task.train(state, h, Number(values.warmup), ctx);
const tokens0 = state.tokens;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await task.train(state, h, Number(values.steps), ctx);
const cpu = process.cpuUsage(cpu0);
const trainSeconds = (performance.now() - t0) / 1000;
const tokens = state.tokens - tokens0;
const t1 = performance.now();
const metrics = await task.evaluate(state, ctx);
const evalSeconds = (performance.now() - t1) / 1000;
const beam = Number(values.beam);
const t3 = performance.now();
const beamEval = evaluateMember(state, state.data.valid, decodeOptions(options, beam));
const beamEvalSeconds = (performance.now() - t3) / 1000;
const t2 = performance.now();
const bytes = await task.save(state);
const loaded = await task.load(bytes, h, ctx);
const checkpointSeconds = (performance.now() - t2) / 1000;

const result = {
  date: new Date().toISOString(),
  loadAverage: loadavg(),
  options,
  steps: Number(values.steps),
  batchSize: options.batchSize,
  targetTokens: tokens,
  trainSeconds,
  trainCpuSeconds: (cpu.user + cpu.system) / 1e6,
  targetTokensPerSecond: tokens / trainSeconds,
  targetTokensPerCpuSecond: tokens / ((cpu.user + cpu.system) / 1e6),
  secondsPerStep: trainSeconds / Number(values.steps),
  command: `node --import tsx bench/nmt.ts --steps ${values.steps} --warmup ${values.warmup} --beam ${beam}${values.set.map((s) => ` --set ${s}`).join('')}`,
  evalSentences: state.data.valid.sources.length,
  evalSeconds,
  beam,
  beamEvalSeconds,
  checkpointBytes: bytes.length,
  checkpointSaveLoadSeconds: checkpointSeconds,
  bleuAfterBench: metrics.bleu100,
  beamBleuAfterBench: beamEval.bleu.bleu100,
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
await task.dispose?.(loaded);
await task.dispose?.(state);
