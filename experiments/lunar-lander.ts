/**
 * The report's section 4.4: PBT of Deep Double Sarsa agents on LunarLander-v2 against a single
 * agent with fixed hyperparameters and against random search, at the same number of training
 * episodes per member. Every run is a real `pbt run lunar-lander` with local worker processes
 * (SQLite store, filesystem checkpoints); this script then reads the store and writes
 * results/lunar-lander/: summary.json and SVG plots, plus an animated SVG of the best agent.
 *
 *   node --import tsx experiments/lunar-lander.ts [--episodes 2000] [--population 20]
 *     [--ready 40] [--workers 2] [--test-episodes 100] [--methods pbt,fixed,random]
 *
 * Quick variant (a few minutes): --episodes 200 --population 6 --ready 20 --test-episodes 20
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAgent } from '../src/workloads/lunar-lander/agent/deep-double-sarsa.js';
import { FilesystemCheckpointStore } from '../src/engine/checkpoints/filesystem-checkpoint-store.js';
import { bestMember, scheduleOf, type Schedule } from '../src/engine/core/schedule.js';
import type { Hparams } from '../src/engine/core/types.js';
import { LunarLander } from '../src/workloads/lunar-lander/env/lunar-lander.js';
import { recordEpisode } from '../src/workloads/lunar-lander/env/record-episode.js';
import { renderEpisodeSvg } from '../src/workloads/lunar-lander/env/render-svg.js';
import { svgLineChart, type LineSeries } from '../src/engine/report/svg/line-chart.js';
import { readExperiments } from '../src/engine/store/experiments.js';
import { openStore } from '../src/engine/store/open-store.js';
import { evaluateCheckpoint } from '../src/engine/tasks/evaluate-checkpoint.js';
import { createdExperimentId } from './lib/run-method.js';
import type { LineageEvent, MemberRecord, ResultRecord } from '../src/engine/store/store.js';
import {
  agentPolicy,
  lunarLanderTaskDefinition,
  TEST_FIRST_SEED,
} from '../src/workloads/lunar-lander/lunar-lander-task.js';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '2000' },
    population: { type: 'string', default: '20' },
    ready: { type: 'string', default: '40' },
    workers: { type: 'string', default: '2' },
    'test-episodes': { type: 'string', default: '100' },
    'eval-episodes': { type: 'string', default: '10' },
    methods: { type: 'string', default: 'pbt,fixed,random' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'results/lunar-lander' },
    work: { type: 'string', default: '.pbt/lunar-lander-experiment' },
    /** Skip training: analyse the newest experiment of each method already in --work's store. */
    'analyze-only': { type: 'boolean', default: false },
  },
});
const EPISODES = Number(values.episodes);
const POPULATION = Number(values.population);
const READY = Number(values.ready);
const WORKERS = Number(values.workers);
const TEST_EPISODES = Number(values['test-episodes']);
const EVAL_EPISODES = Number(values['eval-episodes']);
const SEED = Number(values.seed);
const METHODS = values.methods.split(',') as ('pbt' | 'fixed' | 'random')[];
const OUT = values.out;
const WORK = path.resolve(values.work);
const STORE = `sqlite:${path.join(WORK, 'pbt.db')}`;
const CHECKPOINTS = path.join(WORK, 'checkpoints');
// The task's default exploit, truncation with fraction 0.2: the report's 4 worst of 20 copy one
// of the 4 best; k = round(0.2·n) for other population sizes.
const TRUNCATE = Math.max(1, Math.round(POPULATION * 0.2));

interface RunInfo {
  readonly method: string;
  readonly experimentId: string;
  readonly seconds: number;
  readonly population: number;
}

/** One `pbt run` in a child process; resolves with the experiment id it created. */
async function runMethod(method: 'pbt' | 'fixed' | 'random'): Promise<RunInfo> {
  const population = method === 'fixed' ? 1 : POPULATION;
  const args = [
    'bin/pbt.js',
    'run',
    'lunar-lander',
    '--method',
    method,
    '--population',
    String(population),
    '--budget',
    String(EPISODES),
    '--ready',
    String(READY),
    '--workers',
    String(Math.min(WORKERS, population)),
    '--store',
    STORE,
    '--checkpoints',
    CHECKPOINTS,
    '--group',
    'lunar-lander-experiment',
    '--name',
    `lunar-lander-${method}`,
    '--seed',
    String(SEED),
    '--set',
    `evalEpisodes=${EVAL_EPISODES}`,
  ];
  const log = path.join(WORK, `${method}.log`);
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(log);
    child.stdout.on('data', (d: Buffer) => {
      file.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      file.write(d);
    });
    child.on('error', reject);
    child.on('close', (c) => {
      file.end();
      resolve(c ?? 1);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`pbt run (${method}) failed with exit code ${code}; see ${log}`);
  const experimentId = await createdExperimentId(STORE, {
    group: 'lunar-lander-experiment',
    name: `lunar-lander-${method}`,
    method,
  });
  console.log(`${method}: ${experimentId} in ${seconds.toFixed(0)} s`);
  return { method, experimentId, seconds, population };
}

const loadBefore = loadavg();
const runs: RunInfo[] = [];
if (!values['analyze-only']) {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  for (const method of METHODS) runs.push(await runMethod(method));
}

const store = await openStore(STORE);
const checkpoints = new FilesystemCheckpointStore(CHECKPOINTS);
if (values['analyze-only']) {
  // Wall time from the store: experiment creation to its last recorded result.
  const experiments = await readExperiments(store);
  for (const method of METHODS) {
    const e = experiments
      .filter((x) => x.config.method === method)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!e) throw new Error(`no ${method} experiment in ${STORE}`);
    const last = Math.max(...(await store.listResults(e.id)).map((r) => r.time));
    runs.push({
      method,
      experimentId: e.id,
      seconds: (last - e.createdAt) / 1000,
      population: e.populationSize,
    });
  }
}

interface MethodData {
  readonly run: RunInfo;
  readonly results: ResultRecord[];
  readonly members: MemberRecord[];
  readonly lineage: LineageEvent[];
}
const data: MethodData[] = [];
for (const run of runs) {
  data.push({
    run,
    results: await store.listResults(run.experimentId),
    members: await store.listMembers(run.experimentId),
    lineage: await store.listLineage(run.experimentId),
  });
}

/** Per ready step: best and mean evaluation score over the members evaluated at that step. */
function curves(results: readonly ResultRecord[]): {
  best: [number, number][];
  mean: [number, number][];
} {
  const byStep = new Map<number, number[]>();
  for (const r of results) {
    if (r.score === null) continue;
    byStep.set(r.step, [...(byStep.get(r.step) ?? []), r.score]);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return {
    best: steps.map((s) => [s, Math.max(...(byStep.get(s) ?? []))]),
    mean: steps.map((s) => {
      const xs = byStep.get(s) ?? [];
      return [s, xs.reduce((a, b) => a + b, 0) / xs.length];
    }),
  };
}

const memberCurve = (results: readonly ResultRecord[], id: number): [number, number][] =>
  results
    .filter((r) => r.memberId === id && r.score !== null)
    .sort((a, b) => a.step - b.step)
    .map((r) => [r.step, r.score ?? NaN]);

const COLORS: Record<string, string> = { pbt: '#2563eb', fixed: '#dc2626', random: '#16a34a' };
const LABELS: Record<string, string> = {
  pbt: 'PBT',
  fixed: 'single agent (fixed hyperparameters)',
  random: 'random search',
};

mkdirSync(OUT, { recursive: true });
const series: LineSeries[] = [];
for (const d of data) {
  const c = curves(d.results);
  const m = d.run.method;
  if (m === 'fixed') {
    series.push({ name: LABELS[m] ?? m, points: c.best, color: COLORS[m] ?? '#000', width: 2 });
  } else {
    series.push({
      name: `${LABELS[m] ?? m}: best member`,
      points: c.best,
      color: COLORS[m] ?? '#000',
      width: 2.2,
    });
    series.push({
      name: `${LABELS[m] ?? m}: population mean`,
      points: c.mean,
      color: COLORS[m] ?? '#000',
      dashed: true,
      width: 1.6,
    });
  }
}
series.push({
  name: 'solved (200)',
  points: [
    [0, 200],
    [EPISODES, 200],
  ],
  color: '#9ca3af',
  dashed: true,
  width: 1,
});
writeFileSync(
  path.join(OUT, 'evaluation-return.svg'),
  svgLineChart({
    title: `Evaluation return (greedy, ${EVAL_EPISODES} episodes) vs training episodes per member`,
    xLabel: 'training episodes per member',
    yLabel: 'mean evaluation return',
    series,
  }),
);

// Every member of PBT and of random search, faint, to show how the populations behave.
for (const d of data.filter((x) => x.run.method !== 'fixed')) {
  const m = d.run.method;
  const c = curves(d.results);
  writeFileSync(
    path.join(OUT, `population-${m}.svg`),
    svgLineChart({
      title: `${LABELS[m] ?? m}: every member's evaluation return`,
      xLabel: 'training episodes per member',
      yLabel: 'mean evaluation return',
      series: [
        ...d.members.map((mem): LineSeries => ({
          name: '',
          points: memberCurve(d.results, mem.id),
          color: COLORS[m] ?? '#000',
          opacity: 0.25,
          width: 1,
        })),
        { name: 'best member at each ready point', points: c.best, color: '#111827', width: 2 },
        { name: 'population mean', points: c.mean, color: '#111827', dashed: true, width: 1.6 },
      ],
    }),
  );
}

// Hyperparameter schedule of the best PBT member (model steps = episodes its weights trained).
let pbtSchedule: Schedule | null = null;
const pbtData = data.find((d) => d.run.method === 'pbt');
if (pbtData) {
  const best = bestMember(pbtData.members.map(toView));
  if (best) {
    pbtSchedule = scheduleOf(best.memberId, pbtData.results, pbtData.lineage);
    const params: [string, boolean][] = [
      ['learningRate', true],
      ['gamma', false],
      ['targetPeriod', true],
      ['epsilonDecay', true],
    ];
    const charts = params.map(([name, log]) =>
      svgLineChart({
        title: `Best PBT member's schedule: ${name}`,
        xLabel: 'episodes trained by the final model',
        yLabel: name,
        logY: log,
        width: 520,
        height: 220,
        legend: false,
        series: [
          {
            name,
            color: COLORS.pbt ?? '#000',
            width: 2,
            points: (pbtSchedule?.segments ?? []).flatMap((s): [number, number][] => [
              [s.fromModelStep, Number(s.hparams[name])],
              [s.toModelStep, Number(s.hparams[name])],
            ]),
          },
        ],
      }),
    );
    // Four small charts stacked into one SVG.
    const heights = charts.map((svg) => Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 260));
    const widths = charts.map((svg) => Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 520));
    let y = 0;
    const parts = charts.map((svg, i) => {
      const part = `<g transform="translate(0,${y})">${svg.replace(/<\?xml[^>]*>/, '')}</g>`;
      y += heights[i] ?? 260;
      return part;
    });
    writeFileSync(
      path.join(OUT, 'pbt-best-schedule.svg'),
      `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(...widths)}" height="${y}" viewBox="0 0 ${Math.max(...widths)} ${y}">${parts.join('')}</svg>\n`,
    );
  }
}

function toView(m: MemberRecord): {
  id: number;
  step: number;
  score: number | null;
  lastFailed: boolean;
  hparams: Hparams;
  checkpoint: string | null;
  status: MemberRecord['status'];
} {
  return {
    id: m.id,
    step: m.step,
    score: m.score,
    lastFailed: m.lastFailed,
    hparams: m.hparams,
    checkpoint: m.checkpoint,
    status: m.status,
  };
}

/** The task's own held-out test: greedy episodes from TEST_FIRST_SEED on. */
const testTask = await lunarLanderTaskDefinition.create(
  lunarLanderTaskDefinition.parseOptions?.({ testEpisodes: TEST_EPISODES }) as never,
);

/** Greedy mean return over the held-out test episodes of a member's final checkpoint. */
async function testMember(m: MemberRecord): Promise<{
  member: number;
  lastEvaluation: number | null;
  testMean: number;
  testStd: number;
  solvedFraction: number;
  landingFraction: number;
  meanSteps: number;
}> {
  if (m.checkpoint === null) throw new Error(`member ${m.id} has no checkpoint`);
  const ev = await evaluateCheckpoint(
    testTask,
    await checkpoints.get(m.checkpoint),
    m.hparams,
    'test',
  );
  return {
    member: m.id,
    lastEvaluation: m.score,
    testMean: round(ev.score),
    testStd: round(ev.std ?? Number.NaN),
    solvedFraction: ev.solvedRate ?? Number.NaN,
    landingFraction: ev.landingRate ?? Number.NaN,
    meanSteps: round(ev.meanEpisodeSteps ?? Number.NaN),
  };
}

const methods: Record<string, unknown> = {};
let bestPbtAgentCheckpoint: string | null = null;
for (const d of data) {
  const m = d.run.method;
  const c = curves(d.results);
  const best = bestMember(d.members.map(toView));
  const bestRecord = d.members.find((x) => x.id === best?.memberId);
  if (!bestRecord) throw new Error(`${m}: no evaluated member`);
  if (m === 'pbt') bestPbtAgentCheckpoint = bestRecord.checkpoint;
  const testedBest = await testMember(bestRecord);
  // The whole final population on the same test episodes (how much of it is any good).
  const testedAll = m === 'fixed' ? [testedBest] : [];
  if (m !== 'fixed') for (const mem of d.members) testedAll.push(await testMember(mem));
  const peak = c.best.reduce((a, b) => (b[1] > a[1] ? b : a), [0, -Infinity]);
  methods[m] = {
    experimentId: d.run.experimentId,
    population: d.run.population,
    wallSeconds: Math.round(d.run.seconds),
    trainingEpisodes: d.run.population * EPISODES,
    evaluationEpisodes: d.results.length * EVAL_EPISODES,
    exploits: d.lineage.length,
    peakEvaluation: { episodes: peak[0], score: round(peak[1]) },
    finalEvaluationBest: round(c.best.at(-1)?.[1] ?? NaN),
    finalEvaluationMean: round(c.mean.at(-1)?.[1] ?? NaN),
    bestMember: {
      member: bestRecord.id,
      hparams: bestRecord.hparams,
      lastEvaluation: round(bestRecord.score ?? NaN),
      test: testedBest,
    },
    finalPopulationTest: {
      meanOfMeans: round(testedAll.reduce((a, t) => a + t.testMean, 0) / testedAll.length),
      membersAtLeast200: testedAll.filter((t) => t.testMean >= 200).length,
      bestTestMean: Math.max(...testedAll.map((t) => t.testMean)),
      members: testedAll,
    },
  };
  console.log(
    `${m}: best member ${bestRecord.id} last eval ${round(bestRecord.score ?? NaN)}, ${TEST_EPISODES}-episode test mean ${testedBest.testMean}`,
  );
}

// Animated SVGs of the best PBT agent: test episode 1 whatever happens in it, and the first test
// episode in which it lands (comes to rest), with its number, so that neither is cherry-picked.
let landingEpisode: number | null = null;
if (bestPbtAgentCheckpoint !== null) {
  const agent = loadAgent(await checkpoints.get(bestPbtAgentCheckpoint));
  const env = new LunarLander();
  const first = recordEpisode(env, agentPolicy(agent), TEST_FIRST_SEED);
  writeFileSync(
    path.join(OUT, 'pbt-best-test-episode-1.svg'),
    renderEpisodeSvg(first, {
      title: `Best PBT agent, test episode 1: return ${first.totalReward.toFixed(1)} (${first.outcome})`,
    }),
  );
  for (let e = 0; e < TEST_EPISODES && landingEpisode === null; e++) {
    const rec = recordEpisode(env, agentPolicy(agent), TEST_FIRST_SEED + e);
    if (rec.outcome !== 'at-rest') continue;
    landingEpisode = e + 1;
    writeFileSync(
      path.join(OUT, 'pbt-best-landing.svg'),
      renderEpisodeSvg(rec, {
        title: `Best PBT agent, test episode ${e + 1} (its first landing): return ${rec.totalReward.toFixed(1)}`,
      }),
    );
  }
}

const summary = {
  command: `node --import tsx experiments/lunar-lander.ts${values['analyze-only'] ? ' --analyze-only' : ''} --out ${OUT} --work ${values.work} --episodes ${EPISODES} --population ${POPULATION} --ready ${READY} --workers ${WORKERS} --test-episodes ${TEST_EPISODES} --eval-episodes ${EVAL_EPISODES} --methods ${METHODS.join(',')} --seed ${SEED}`,
  settings: {
    episodesPerMember: EPISODES,
    population: POPULATION,
    readyEveryEpisodes: READY,
    exploit: `truncation: the ${TRUNCATE} worst copy one of the ${TRUNCATE} best`,
    evaluationEpisodes: EVAL_EPISODES,
    testEpisodes: TEST_EPISODES,
    workers: WORKERS,
    seed: SEED,
  },
  loadAverage: { before: loadBefore, after: loadavg() },
  pbtBestFirstLandingTestEpisode: landingEpisode,
  methods,
  pbtBestSchedule: pbtSchedule
    ? pbtSchedule.segments.map((s) => ({
        fromEpisode: s.fromModelStep,
        toEpisode: s.toModelStep,
        member: s.memberId,
        hparams: s.hparams,
      }))
    : null,
};
writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
await store.close();
console.log(JSON.stringify({ ...summary, methods: Object.keys(methods) }, null, 2));

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
