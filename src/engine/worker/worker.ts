import { hostname } from 'node:os';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { ExperimentConfig } from '../config/experiment-config.js';
import { LeaseLostError } from '../core/errors.js';
import { createRng, hashSeed } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Metrics } from '../core/types.js';
import type { ReadyConfig } from '../strategies/config-types.js';
import { decide, validateDecideConfig } from '../strategies/decide.js';
import { segmentSteps } from '../strategies/ready.js';
import type { Lease, MemberRecord, Store } from '../store/store.js';
import type { Task, TaskContext } from '../tasks/task.js';
import { StopRequested } from './stop-requested.js';
import { trainSegment } from './train-segment.js';

/** Everything a worker needs; the CLI builds it from the stored experiment config. */
export interface WorkerOptions {
  readonly store: Store;
  readonly checkpoints: CheckpointStore;
  readonly experimentId: string;
  readonly config: ExperimentConfig;
  readonly task: Task;
  readonly space: SearchSpace;
  readonly seed: number;
  readonly workerId?: string;
  /** Sleep between claim attempts when every free member is leased by others. */
  readonly pollMs?: number;
  readonly clock?: () => number;
  readonly log?: (message: string) => void;
  /** Set to stop at the next safe point (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Observe timings (benchmarks). */
  readonly onReadyPoint?: (timing: ReadyPointTiming) => void;
}

export interface ReadyPointTiming {
  readonly memberId: number;
  readonly step: number;
  /** Seconds in task.train + task.evaluate. */
  readonly trainSeconds: number;
  /** Seconds in everything else of this cycle: claim, decide, load/save, store writes. */
  readonly overheadSeconds: number;
}

export interface WorkerSummary {
  readonly readyPoints: number;
  readonly exploits: number;
  readonly failures: number;
  readonly stoppedBy: 'finished' | 'signal' | 'experiment-stopped';
}

/** The member state this worker still holds in memory, valid for one checkpoint key. */
interface CachedState {
  readonly memberId: number;
  readonly checkpoint: string;
  readonly state: unknown;
}

/**
 * The worker loop: claim the least-advanced member, apply the decision due from its last ready
 * point (exploit/explore, atomically in the store), train to its next ready point, evaluate,
 * checkpoint, record, release — until every member has spent its budget. No central scheduler:
 * each worker decides for the member it holds, as in the paper.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const { store, checkpoints, experimentId, config, task, space } = opts;
  const clock = opts.clock ?? Date.now;
  const log = opts.log ?? ((): void => undefined);
  const workerId = opts.workerId ?? `${hostname()}:${process.pid}`;
  const leaseMs = config.leaseSeconds * 1000;
  const pollMs = opts.pollMs ?? 200;
  const strategy = validateDecideConfig(
    {
      exploit: config.exploit,
      explore: config.explore,
      ready: readyConfig(config),
      custom: task.explore,
    },
    space,
  );
  // Held in an object: the cycle function below replaces it, which flow analysis cannot see.
  const held: { cache: CachedState | null } = { cache: null };
  let readyPoints = 0;
  let exploits = 0;
  let failures = 0;

  const disposeCache = async (): Promise<void> => {
    if (held.cache) await task.dispose?.(held.cache.state);
    held.cache = null;
  };

  try {
    for (;;) {
      if (opts.signal?.aborted) return { readyPoints, exploits, failures, stoppedBy: 'signal' };
      const cycleStart = performance.now();
      const experiment = await store.getExperiment(experimentId);
      if (experiment?.status !== 'running') {
        return {
          readyPoints,
          exploits,
          failures,
          stoppedBy: experiment?.status === 'done' ? 'finished' : 'experiment-stopped',
        };
      }
      const claimOpts = {
        workerId,
        leaseMs,
        now: clock(),
        barrier: config.mode === 'sync',
        ...(held.cache ? { preferMember: held.cache.memberId } : {}),
      };
      const lease = await store.claimMember(experimentId, claimOpts);
      if (!lease) {
        const members = await store.listMembers(experimentId);
        if (members.every((m) => m.status === 'done' || m.status === 'failed')) {
          await store.setExperimentStatus(experimentId, 'done');
          return { readyPoints, exploits, failures, stoppedBy: 'finished' };
        }
        await sleep(pollMs, opts.signal);
        continue;
      }
      try {
        const outcome = await runCycle(lease, cycleStart);
        readyPoints += 1;
        if (outcome.exploited) exploits += 1;
        if (outcome.failed) failures += 1;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          log(`member ${lease.memberId}: lease lost to another worker; dropping its state`);
          await disposeCache();
          continue;
        }
        if (err instanceof StopRequested) {
          await store.release(lease).catch(() => undefined);
          return { readyPoints, exploits, failures, stoppedBy: 'signal' };
        }
        throw err;
      }
    }
  } finally {
    await disposeCache();
  }

  /** One claim → ready point → release cycle. */
  async function runCycle(
    lease: Lease,
    cycleStart: number,
  ): Promise<{ exploited: boolean; failed: boolean }> {
    let member: MemberRecord = lease.member;
    let exploited = false;
    if (member.decisionDue) {
      const rng = createRng(opts.seed, 'decide', member.id, member.step, member.token);
      const applied = await store.applyDecision(lease, clock(), (self, population) =>
        decide(self, population, strategy, space, rng),
      );
      member = applied.member;
      const d = applied.decision;
      if (d.kind === 'stop') {
        log(`member ${member.id}: stopped at step ${member.step}: ${d.reason}`);
        return { exploited: false, failed: true };
      }
      if (d.kind === 'exploit') {
        exploited = true;
        log(
          `member ${member.id} @${member.step}: exploit member ${d.donor}; ${d.operations.join(', ') || 'no change'}`,
        );
      }
    }

    const ctx = contextFor(member);
    let state: unknown;
    if (
      held.cache !== null &&
      member.checkpoint !== null &&
      held.cache.checkpoint === member.checkpoint
    ) {
      state = held.cache.state;
      held.cache = null;
    } else {
      await disposeCache();
      state =
        member.checkpoint === null
          ? await task.create(member.hparams, ctx)
          : await task.load(await checkpoints.get(member.checkpoint), member.hparams, ctx);
    }

    const budget = config.budget.steps;
    // Time-based ready points end by the clock inside trainSegment: their step target is the budget.
    const target =
      member.step +
      segmentSteps(readyConfig(config), member.step, budget, Math.max(1, budget - member.step));
    let metrics: Metrics | null = null;
    let error: string | undefined;
    let reached = member.step;
    let trainSeconds = 0;
    try {
      const seg = await trainSegment({
        task,
        state,
        hparams: member.hparams,
        ctx,
        fromStep: member.step,
        target,
        heartbeat: (now) => store.heartbeat(lease, leaseMs, now),
        leaseMs,
        clock,
        ...(config.ready.unit === 'seconds' ? { seconds: config.ready.every } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      reached = seg.step;
      const evalStart = performance.now();
      metrics = await task.evaluate(state, contextFor({ ...member, step: reached }));
      trainSeconds = seg.trainSeconds + (performance.now() - evalStart) / 1000;
      const bad = Object.entries(metrics).find(
        ([, v]) => typeof v !== 'number' || !Number.isFinite(v),
      );
      if (bad) {
        error = `${bad[0] === 'score' ? 'score' : `metric "${bad[0]}"`} is not a finite number (${String(bad[1])})`;
        metrics = null;
      }
    } catch (err) {
      if (err instanceof StopRequested || err instanceof LeaseLostError) {
        await task.dispose?.(state);
        throw err;
      }
      error = err instanceof Error ? err.message : String(err);
      reached = Math.max(reached, target);
    }

    const failed = metrics === null;
    let checkpoint: string | null = null;
    if (!failed) {
      checkpoint = await checkpoints.put(await task.save(state));
      held.cache = { memberId: member.id, checkpoint, state };
    } else {
      log(`member ${member.id} @${reached}: ready point failed: ${error ?? 'unknown error'}`);
      await task.dispose?.(state);
    }
    const done = reached >= config.budget.steps;
    await store.recordResult(lease, {
      step: reached,
      metrics,
      ...(error !== undefined ? { error } : {}),
      hparams: member.hparams,
      checkpoint,
      done: done && !failed,
      now: clock(),
      trainSeconds,
    });
    if (failed && member.consecutiveFailures + 1 >= config.maxFailures) {
      await store.failMember(
        lease,
        `${config.maxFailures} consecutive failed ready points; last: ${error ?? ''}`,
      );
    } else if (!(done && !failed)) {
      await store.release(lease);
    }
    opts.onReadyPoint?.({
      memberId: member.id,
      step: reached,
      trainSeconds,
      overheadSeconds: (performance.now() - cycleStart) / 1000 - trainSeconds,
    });
    return { exploited, failed };
  }

  function contextFor(member: Pick<MemberRecord, 'id' | 'step'>): TaskContext {
    const seed = hashSeed(opts.seed, 'member', member.id, member.step);
    return {
      experimentId,
      memberId: member.id,
      seed,
      rng: createRng(seed),
      step: member.step,
      log: (message) => log(`member ${member.id}: ${message}`),
    };
  }
}

export function readyConfig(config: ExperimentConfig): ReadyConfig {
  return { kind: config.ready.unit, every: config.ready.every, burnIn: config.ready.burnIn };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
