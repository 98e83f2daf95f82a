import { hostname } from 'node:os';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import { collectCheckpoints } from '../checkpoints/collect.js';
import type { ExperimentConfig } from '../config/experiment-config.js';
import { CheckpointWriteError, LeaseLostError } from '../core/errors.js';
import { createRng, hashSeed } from '../core/rng.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Hparams, Metrics } from '../core/types.js';
import type { ReadyConfig } from '../strategies/config-types.js';
import {
  decide,
  needsHistory,
  validateDecideConfig,
  type DecideConfig,
} from '../strategies/decide.js';
import { segmentSteps } from '../strategies/ready.js';
import { recordThenClaim } from '../store/record-then-claim.js';
import type { ClaimOptions, Lease, MemberRecord, Store } from '../store/store.js';
import type { Task, TaskContext } from '../tasks/task.js';
import { ashaSettingsOf } from '../setup/prepare-experiment.js';
import { nextRung, type AshaSettings } from '../strategies/asha.js';
import { applyAshaDecision } from './asha-decision.js';
import { nextScheduleChange, scheduledHparams } from './replay-schedule.js';
import { InFlightRecord } from './in-flight-record.js';
import { HISTORY_LIMIT, populationHistory } from './population-history.js';
import { sleep } from './sleep.js';
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
  /**
   * Observe timings (benchmarks): called when the worker is done with a ready point and moves
   * on; its checkpoint write and record may still be in flight (overlapCheckpointWrites).
   */
  readonly onReadyPoint?: (timing: ReadyPointTiming) => void;
  /**
   * Collect unreferenced checkpoints while running (docs/reliability.md), at most once per
   * `everyMs`, deleting only files at least `minAgeMs` old; false: never. Default: every 30 s,
   * files older than 2 min.
   */
  readonly collect?: CollectOptions | false;
  /**
   * Write a ready point's checkpoint while the worker goes on with its next member, and record
   * the result (which references the checkpoint, and gives the member back) only once the write
   * is durable (docs/deployment.md §4). Default true; false writes and records before moving on.
   */
  readonly overlapCheckpointWrites?: boolean;
  /**
   * Smallest checkpoint whose write overlaps the next cycle (default 256 KiB). A smaller one is
   * written and recorded before moving on: its write is short, and an overlapped record reaches
   * the other members' decisions a segment late — with tiny states and short segments (the toy)
   * every decision then sees its peers one ready point behind, and symmetric starts never exploit.
   */
  readonly overlapMinBytes?: number;
}

const DEFAULT_OVERLAP_MIN_BYTES = 256 * 1024;

export interface CollectOptions {
  readonly everyMs: number;
  readonly minAgeMs: number;
}

const DEFAULT_COLLECT: CollectOptions = { everyMs: 30_000, minAgeMs: 120_000 };

export interface ReadyPointTiming {
  readonly memberId: number;
  readonly step: number;
  /** Seconds in task.train + task.evaluate. */
  readonly trainSeconds: number;
  /**
   * Seconds in everything else of this cycle: claim, decide, load/save, store writes, and any
   * wait for the previous ready point's checkpoint write (not the write itself when it overlaps).
   */
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
  /**
   * The key its checkpoint was stored under, set once the write is durable (the writer hashes
   * the bytes); null until then, which only means "load it again" — and nothing compares it
   * sooner, because the member stays leased to this worker until that write's record.
   */
  checkpoint: string | null;
  readonly state: unknown;
}

/** What every stage reads: the options with their defaults filled in. Never mutated. */
interface WorkerEnv extends WorkerOptions {
  readonly clock: () => number;
  readonly log: (message: string) => void;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly collect: CollectOptions | false;
  readonly overlapCheckpointWrites: boolean;
  readonly overlapMinBytes: number;
  /** ASHA's rungs when the method is ASHA. */
  readonly asha: AshaSettings | null;
  /** What `decide` takes, validated once. */
  readonly strategy: DecideConfig;
}

/** What one ready point did, for the summary and the member state kept for the next one. */
interface CycleOutcome {
  readonly exploited: boolean;
  readonly failed: boolean;
  readonly cache: CachedState | null;
  /** ASHA: the member waits at its rung; it was released unchanged and no ready point ran. */
  readonly waited?: boolean;
  /** The next member, claimed in the same store write as this ready point's record. */
  readonly next?: Lease | null;
}

/** The claim to make together with a record, or null to claim separately afterwards. */
type NextClaim = () => ClaimOptions | null;

type ClaimOutcome =
  | { readonly kind: 'lease'; readonly lease: Lease }
  | { readonly kind: 'wait' }
  | { readonly kind: 'stop'; readonly stoppedBy: WorkerSummary['stoppedBy'] };

/**
 * The worker loop: claim the least-advanced member, apply the decision due from its last ready
 * point (exploit/explore, atomically in the store), restore its state, train to its next ready
 * point, evaluate, checkpoint, record, release — until every member has spent its budget. No
 * central scheduler: each worker decides for the member it holds, as in the paper.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const env: WorkerEnv = {
    ...opts,
    clock: opts.clock ?? Date.now,
    log: opts.log ?? ((): void => undefined),
    workerId: opts.workerId ?? `${hostname()}:${process.pid}`,
    leaseMs: opts.config.leaseSeconds * 1000,
    pollMs: opts.pollMs ?? 200,
    collect: opts.collect ?? DEFAULT_COLLECT,
    overlapCheckpointWrites: opts.overlapCheckpointWrites ?? true,
    overlapMinBytes: opts.overlapMinBytes ?? DEFAULT_OVERLAP_MIN_BYTES,
    asha: opts.config.method === 'asha' ? ashaSettingsOf(opts.config) : null,
    strategy: validateDecideConfig(
      {
        exploit: opts.config.exploit,
        explore: opts.config.explore,
        ready: readyConfig(opts.config),
        custom: opts.task.explore,
        fitness: opts.config.fitness,
      },
      opts.space,
    ),
  };
  // ASHA: members this worker found waiting at a rung; skipped until a claim finds nothing else.
  const waiting = new Set<number>();
  // Wall-clock, not env.clock: collection compares against file modification times.
  let lastCollect = Date.now();
  let cache: CachedState | null = null;
  // When the cycle in progress started; kept across a claim that had to finish the previous
  // record first, so that wait counts as this ready point's overhead.
  let cycleStart: number | null = null;
  // The last ready point's checkpoint write and record, when they overlap the next member's cycle.
  const inFlight = new InFlightRecord();
  // The member claimed in the same store write as the last record (Store.recordAndClaim).
  let ahead: Lease | null = null;
  const collectDue = (): boolean =>
    env.collect !== false && Date.now() - lastCollect >= env.collect.everyMs;
  // Claim with the record unless the worker is stopping or about to collect (which may take
  // longer than a lease: claim after it).
  const nextClaim: NextClaim = () =>
    env.signal?.aborted === true || collectDue() ? null : claimOptions(env, undefined, new Set());
  let readyPoints = 0;
  let exploits = 0;
  let failures = 0;
  const summary = (stoppedBy: WorkerSummary['stoppedBy']): WorkerSummary => ({
    readyPoints,
    exploits,
    failures,
    stoppedBy,
  });

  try {
    for (;;) {
      if (env.signal?.aborted) {
        await releaseAhead();
        await inFlight.settle();
        return summary('signal');
      }
      cycleStart ??= performance.now();
      const claimed: ClaimOutcome =
        ahead !== null
          ? { kind: 'lease', lease: ahead }
          : await claim(env, cache?.memberId, waiting);
      ahead = null;
      if (claimed.kind === 'stop') {
        await inFlight.settle();
        return summary(claimed.stoppedBy);
      }
      if (claimed.kind === 'wait') {
        if (inFlight.pending) {
          // The member still being recorded may be the one to claim (the last of a generation,
          // or the only one): finish its record, then claim again at once.
          await inFlight.settle();
          continue;
        }
        waiting.clear();
        // Waiting for other workers' members is not this worker's overhead.
        cycleStart = null;
        await sleep(env.pollMs, env.signal);
        continue;
      }
      const { lease } = claimed;
      // The cycle owns the cached state from here on: it reuses or disposes it on every path.
      const owned = cache;
      cache = null;
      try {
        const started = cycleStart;
        cycleStart = null;
        const outcome = await readyPoint(env, lease, owned, started, inFlight, nextClaim);
        cache = outcome.cache;
        ahead = outcome.next ?? null;
        if (outcome.waited === true) {
          waiting.add(lease.memberId);
          continue;
        }
        waiting.clear();
        readyPoints += 1;
        if (outcome.exploited) exploits += 1;
        if (outcome.failed) failures += 1;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          env.log(`member ${lease.memberId}: lease lost to another worker; dropping its state`);
          continue;
        }
        if (err instanceof StopRequested) {
          await env.store.release(lease).catch(() => undefined);
          await inFlight.settle();
          return summary('signal');
        }
        throw err;
      }
      if (env.collect !== false && collectDue()) {
        lastCollect = Date.now();
        await collect(env, env.collect);
      }
    }
  } finally {
    // Only reached with work in flight when the worker is failing: still record what is durable.
    await inFlight.settle().catch(() => undefined);
    await releaseAhead();
    await dispose(env, cache?.state);
    await env.task.release?.();
  }

  /** Give back a member claimed with the last record that the worker will not train now. */
  async function releaseAhead(): Promise<void> {
    if (ahead === null) return;
    const lease = ahead;
    ahead = null;
    await env.store.release(lease).catch(() => undefined);
  }
}

/** Claim stage: lease a member, or say why there is none (wait for one, or stop). */
async function claim(
  env: WorkerEnv,
  preferMember: number | undefined,
  waiting: ReadonlySet<number>,
): Promise<ClaimOutcome> {
  const { store, experimentId } = env;
  // The claim itself checks that the experiment is running (one round trip fewer per ready
  // point); only when it finds nothing do we read the experiment to learn why.
  const lease = await store.claimMember(experimentId, claimOptions(env, preferMember, waiting));
  if (lease) return { kind: 'lease', lease };
  const experiment = await store.getExperiment(experimentId);
  if (experiment?.status !== 'running') {
    return {
      kind: 'stop',
      stoppedBy: experiment?.status === 'done' ? 'finished' : 'experiment-stopped',
    };
  }
  // Only members waiting at an ASHA rung are left: wait, then look at them again.
  if (waiting.size > 0) return { kind: 'wait' };
  const members = await store.listMembers(experimentId);
  if (members.every((m) => m.status === 'done' || m.status === 'failed')) {
    await store.setExperimentStatus(experimentId, 'done');
    return { kind: 'stop', stoppedBy: 'finished' };
  }
  return { kind: 'wait' };
}

function claimOptions(
  env: WorkerEnv,
  preferMember: number | undefined,
  waiting: ReadonlySet<number>,
): ClaimOptions {
  return {
    workerId: env.workerId,
    leaseMs: env.leaseMs,
    now: env.clock(),
    barrier: env.config.mode === 'sync',
    whileRunning: true,
    ...(preferMember !== undefined ? { preferMember } : {}),
    ...(waiting.size > 0 ? { exclude: [...waiting] } : {}),
  };
}

/**
 * One ready point of a leased member: decide → restore → train → evaluate → save → write the
 * checkpoint and record (+ release). The write and the record after it may be left in flight
 * (`inFlight`) while the worker goes on: the record is only ever made once the write is durable.
 */
async function readyPoint(
  env: WorkerEnv,
  lease: Lease,
  owned: CachedState | null,
  cycleStart: number,
  inFlight: InFlightRecord,
  nextClaim: NextClaim,
): Promise<CycleOutcome> {
  let decided: Decided;
  try {
    decided = await decideStage(env, lease);
  } catch (err) {
    await dispose(env, owned?.state);
    throw err;
  }
  const { member } = decided;
  if (decided.waited) return { exploited: false, failed: false, cache: owned, waited: true };
  if (decided.ended !== null) {
    await dispose(env, owned?.state);
    return { exploited: false, failed: decided.ended === 'stopped', cache: null };
  }
  const restored = await restore(env, lease, member, owned);
  let evaluated: Segment;
  let saved: Saved | null = null;
  if (restored.ok) {
    const { state } = restored;
    const trained = await train(env, lease, member, state, inFlight);
    evaluated = trained.error === undefined ? await evaluate(env, member, state, trained) : trained;
    ({ saved, segment: evaluated } = await save(env, member, state, evaluated));
  } else {
    // An unreadable checkpoint is a failed ready point like any other: the member is recovered
    // from a donor at its next decision (or fails after maxFailures), rather than crashing every
    // worker that claims it.
    const target = segmentTarget(env, member);
    evaluated = { reached: target, target, trainSeconds: 0, metrics: null, error: restored.error };
    env.log(`member ${member.id} @${member.step}: cannot restore its state: ${restored.error}`);
  }
  try {
    // One write in flight at most: the previous ready point's is finished (and its failure,
    // e.g. a full disk, stops this worker) before this one's starts.
    await inFlight.settle();
  } catch (err) {
    await dispose(env, saved?.state);
    await env.store.release(lease).catch(() => undefined);
    throw err;
  }
  let cache: CachedState | null = null;
  let next: Lease | null = null;
  if (saved === null) {
    next = await record(env, lease, member, evaluated, null, nextClaim);
  } else {
    const held: CachedState = { memberId: member.id, checkpoint: null, state: saved.state };
    cache = held;
    if (env.overlapCheckpointWrites && saved.bytes.length >= env.overlapMinBytes) {
      // Recorded later, once durable: the next claim is made on its own meanwhile.
      const durable = writeThenRecord(env, lease, member, evaluated, saved.bytes, null).then(
        ({ key }) => {
          held.checkpoint = key;
        },
      );
      inFlight.start(durable.catch((err: unknown) => dropIfLeaseLost(env, member, err)));
    } else {
      try {
        const written = await writeThenRecord(
          env,
          lease,
          member,
          evaluated,
          saved.bytes,
          nextClaim,
        );
        held.checkpoint = written.key;
        next = written.next;
      } catch (err) {
        await dispose(env, saved.state);
        throw err;
      }
    }
  }
  env.onReadyPoint?.({
    memberId: member.id,
    step: evaluated.reached,
    trainSeconds: evaluated.trainSeconds,
    overheadSeconds: (performance.now() - cycleStart) / 1000 - evaluated.trainSeconds,
  });
  return { exploited: decided.exploited, failed: evaluated.metrics === null, cache, next };
}

/**
 * A late record refused by the fence (the lease expired while the checkpoint was written and
 * another worker took the member): nothing was recorded, the new owner goes on from the last
 * recorded checkpoint, and the file just written is unreferenced (collected like any orphan).
 */
function dropIfLeaseLost(env: WorkerEnv, member: MemberRecord, err: unknown): void {
  if (!(err instanceof LeaseLostError)) throw err;
  env.log(`member ${member.id}: lease lost to another worker while its checkpoint was written`);
}

interface Decided {
  readonly member: MemberRecord;
  readonly exploited: boolean;
  /** The decision ended the member: failed for good ('stopped') or finished early ('retired'). */
  readonly ended: 'stopped' | 'retired' | null;
  /** ASHA: the member waits at its rung (released unchanged). */
  readonly waited?: boolean;
}

/** Decide stage: apply the decision due from the member's last ready point, if any. */
async function decideStage(env: WorkerEnv, lease: Lease): Promise<Decided> {
  const { space, log } = env;
  const member = lease.member;
  if (!member.decisionDue) return { member, exploited: false, ended: null };
  if (env.asha !== null) {
    const outcome = await applyAshaDecision(env.store, lease, env.clock(), env.asha);
    if (outcome.kind === 'waiting') return { member, exploited: false, ended: null, waited: true };
    if (outcome.kind !== 'promoted') {
      log(`member ${member.id}: ${outcome.kind} at step ${member.step}: ${outcome.reason}`);
      return { member, exploited: false, ended: outcome.kind };
    }
    return { member: outcome.member, exploited: false, ended: null };
  }
  const rng = createRng(env.seed, 'decide', member.id, member.step, member.token);
  const cfg = env.strategy;
  // Read before the transaction (results are append-only; a moment stale is harmless) so the
  // store transaction stays as short as without history.
  const history = needsHistory(cfg)
    ? populationHistory(
        await env.store.listRecentResults(env.experimentId, HISTORY_LIMIT),
        await env.store.listLineage(env.experimentId),
      )
    : undefined;
  const applied = await env.store.applyDecision(lease, env.clock(), (self, population) =>
    decide(self, population, cfg, space, rng, history),
  );
  const d = applied.decision;
  const updated = applied.member;
  if (d.kind === 'stop' || d.kind === 'retire') {
    log(`member ${updated.id}: ${d.kind} at step ${updated.step}: ${d.reason}`);
    return { member: updated, exploited: false, ended: d.kind === 'stop' ? 'stopped' : 'retired' };
  }
  if (d.kind === 'exploit') {
    log(
      `member ${updated.id} @${updated.step}: exploit member ${d.donor}; ${d.operations.join(', ') || 'no change'}`,
    );
  }
  return { member: updated, exploited: d.kind === 'exploit', ended: null };
}

/** The hyperparameters the member trains with: a replay follows its recorded schedule. */
function hparamsFor(env: WorkerEnv, member: MemberRecord): Hparams {
  return env.config.schedule ? scheduledHparams(env.config.schedule, member.step) : member.hparams;
}

/** Restore stage: the state in memory if it is the member's checkpoint, else load or create it. */
async function restore(
  env: WorkerEnv,
  lease: Lease,
  member: MemberRecord,
  owned: CachedState | null,
): Promise<
  { readonly ok: true; readonly state: unknown } | { readonly ok: false; readonly error: string }
> {
  if (owned !== null && member.checkpoint !== null && owned.checkpoint === member.checkpoint) {
    return { ok: true, state: owned.state };
  }
  await dispose(env, owned?.state);
  const ctx = contextFor(env, member);
  const hparams = hparamsFor(env, member);
  const { checkpoint } = member;
  // Building a member may take longer than a lease (a trainable process importing torch and
  // loading its data): keep the lease alive meanwhile.
  const beat = heartbeatWhile(env, lease);
  let restored:
    { readonly ok: true; readonly state: unknown } | { readonly ok: false; readonly error: string };
  try {
    const state =
      checkpoint === null
        ? await env.task.create(hparams, ctx)
        : await env.task.load(await env.checkpoints.get(checkpoint), hparams, ctx);
    restored = { ok: true, state };
  } catch (err) {
    // Missing, corrupt (hash mismatch) or unloadable checkpoint, or a task that cannot build a
    // member (a trainable that crashes on start): the cause goes into the failed result.
    const what =
      checkpoint === null
        ? 'cannot create the member'
        : `cannot load checkpoint ${checkpoint.slice(0, 12)}…`;
    restored = { ok: false, error: `${what}: ${errorMessage(err)}` };
  } finally {
    beat.stop();
  }
  if (beat.failure() !== null) {
    if (restored.ok) await dispose(env, restored.state);
    throw beat.failure();
  }
  return restored;
}

/**
 * Renew `lease` every third of its duration until stopped. Timers run only while the task
 * awaits (asynchronous work, e.g. another process); a failure (LeaseLostError) is kept for the
 * caller to throw once the task is done.
 */
function heartbeatWhile(env: WorkerEnv, lease: Lease): { stop(): void; failure(): unknown } {
  let failure: unknown = null;
  const timer = setInterval(() => {
    env.store.heartbeat(lease, env.leaseMs, env.clock()).catch((err: unknown) => {
      failure ??= err;
    });
  }, env.leaseMs / 3);
  return { stop: () => clearInterval(timer), failure: () => failure };
}

/** Where a segment got to; `error` is set when the ready point failed. */
interface Segment {
  readonly reached: number;
  /** The step this segment aimed at; a failed ready point counts as having reached it. */
  readonly target: number;
  readonly trainSeconds: number;
  readonly metrics: Metrics | null;
  readonly error?: string;
}

/** Train stage: train to the next ready point (or the budget). A task error fails the ready point. */
async function train(
  env: WorkerEnv,
  lease: Lease,
  member: MemberRecord,
  state: unknown,
  inFlight: InFlightRecord,
): Promise<Segment> {
  const { config, store, leaseMs } = env;
  const target = segmentTarget(env, member);
  try {
    const seg = await trainSegment({
      task: env.task,
      state,
      hparams: hparamsFor(env, member),
      ctx: contextFor(env, member),
      fromStep: member.step,
      target,
      heartbeat: (now) => store.heartbeat(lease, leaseMs, now),
      leaseMs,
      clock: env.clock,
      // The last member's record waits for the main thread once its write is durable.
      backgroundWork: () => inFlight.active,
      ...(config.ready.unit === 'seconds' ? { seconds: config.ready.every } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
    });
    return { reached: seg.step, target, trainSeconds: seg.trainSeconds, metrics: null };
  } catch (err) {
    await rethrowControl(env, err, state);
    return { reached: target, target, trainSeconds: 0, metrics: null, error: errorMessage(err) };
  }
}

/** The step the member's next segment aims at: its next ready point or the budget. */
function segmentTarget(env: WorkerEnv, member: MemberRecord): number {
  const { config, asha } = env;
  const budget = config.budget.steps;
  // Time-based ready points end by the clock inside trainSegment: their step target is the budget.
  const next =
    asha !== null
      ? nextRung(member.step, asha.rungs)
      : member.step +
        segmentSteps(readyConfig(config), member.step, budget, Math.max(1, budget - member.step));
  // A replay also stops where its schedule changes the hyperparameters.
  return Math.min(
    next,
    config.schedule ? nextScheduleChange(config.schedule, member.step, budget) : budget,
  );
}

/** Evaluate stage: score the trained state; a throw or a non-finite metric fails the ready point. */
async function evaluate(
  env: WorkerEnv,
  member: MemberRecord,
  state: unknown,
  trained: Segment,
): Promise<Segment> {
  const evalStart = performance.now();
  let metrics: Metrics;
  try {
    metrics = await env.task.evaluate(state, contextFor(env, { ...member, step: trained.reached }));
  } catch (err) {
    await rethrowControl(env, err, state);
    return {
      ...trained,
      reached: Math.max(trained.reached, trained.target),
      trainSeconds: 0,
      error: errorMessage(err),
    };
  }
  const trainSeconds = trained.trainSeconds + (performance.now() - evalStart) / 1000;
  const bad = Object.entries(metrics).find(([, v]) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad) {
    const what = bad[0] === 'score' ? 'score' : `metric "${bad[0]}"`;
    return {
      ...trained,
      trainSeconds,
      error: `${what} is not a finite number (${String(bad[1])})`,
    };
  }
  if ((metrics.diverged ?? 0) > 0) {
    // The task says the model blew up: a failed ready point, so it is never a donor, a PBT
    // member is rescued from a better one, and a baseline member stops.
    return {
      ...trained,
      trainSeconds,
      error: `the task flagged the model as diverged (score ${metrics.score})`,
    };
  }
  return { ...trained, trainSeconds, metrics };
}

/** A successful state and its serialised bytes, not written yet. */
interface Saved {
  readonly state: unknown;
  readonly bytes: Uint8Array;
}

/**
 * Save stage: serialise a successful state; drop a failed one. A task that cannot save (a
 * trainable that wrote no file) fails the ready point.
 */
async function save(
  env: WorkerEnv,
  member: MemberRecord,
  state: unknown,
  evaluated: Segment,
): Promise<{ readonly saved: Saved | null; readonly segment: Segment }> {
  let segment = evaluated;
  let bytes: Uint8Array | null = null;
  if (segment.metrics !== null) {
    try {
      bytes = await env.task.save(state);
    } catch (err) {
      await rethrowControl(env, err, state);
      segment = {
        ...segment,
        metrics: null,
        error: `saving the checkpoint failed: ${errorMessage(err)}`,
      };
    }
  }
  if (bytes === null) {
    env.log(
      `member ${member.id} @${segment.reached}: ready point failed: ${segment.error ?? 'unknown error'}`,
    );
    await dispose(env, state);
    return { saved: null, segment };
  }
  return { saved: { state, bytes }, segment };
}

/**
 * Checkpoint and record stage: write the checkpoint durably (the lease kept alive meanwhile),
 * then record the result that references it. The store therefore never names a checkpoint that
 * is not durable: a crash in between leaves an unreferenced file, which collection removes, and
 * the member resumes from its last recorded checkpoint. A write that fails (full disk,
 * permissions) is not the member's fault: nothing is recorded, the member is given back at its
 * last good checkpoint, and the worker stops with the cause; `pbt resume` continues.
 */
async function writeThenRecord(
  env: WorkerEnv,
  lease: Lease,
  member: MemberRecord,
  segment: Segment,
  bytes: Uint8Array,
  nextClaim: NextClaim | null,
): Promise<{ readonly key: string; readonly next: Lease | null }> {
  const beat = heartbeatWhile(env, lease);
  let key: string;
  try {
    key = await env.checkpoints.put(bytes);
  } catch (err) {
    await env.store.release(lease).catch(() => undefined);
    throw new CheckpointWriteError(member.id, err);
  } finally {
    beat.stop();
  }
  const next = await record(env, lease, member, segment, { key, bytes }, nextClaim);
  return { key, next };
}

/**
 * Record and release stage: append the result and move the member on, giving it back in the
 * same store write (one round trip fewer per ready point), or, after too many consecutive
 * failures, fail it for good. A finished member's lease ends with its last result. With
 * `nextClaim`, the store may claim the worker's next member in that same write
 * (Store.recordAndClaim): returned, or null when the worker is to claim on its own.
 */
async function record(
  env: WorkerEnv,
  lease: Lease,
  member: MemberRecord,
  segment: Segment,
  written: { readonly key: string; readonly bytes: Uint8Array } | null,
  nextClaim: NextClaim | null,
): Promise<Lease | null> {
  const { config, store } = env;
  const failsForGood =
    segment.metrics === null && member.consecutiveFailures + 1 >= config.maxFailures;
  const result = {
    step: segment.reached,
    metrics: segment.metrics,
    ...(segment.error !== undefined ? { error: segment.error } : {}),
    hparams: hparamsFor(env, member),
    checkpoint: written?.key ?? null,
    done: finished(env, segment),
    release: !failsForGood,
    now: env.clock(),
    trainSeconds: segment.trainSeconds,
  };
  const claimWith = failsForGood ? null : (nextClaim?.() ?? null);
  let next: Lease | null = null;
  if (claimWith === null) await store.recordResult(lease, result);
  else next = await recordThenClaim(store, lease, result, claimWith);
  try {
    await afterRecord(env, lease, member, segment, written, failsForGood);
  } catch (err) {
    if (next !== null) await store.release(next).catch(() => undefined);
    throw err;
  }
  return next;
}

/** What follows a record: make sure its checkpoint exists; fail the member for good if due. */
async function afterRecord(
  env: WorkerEnv,
  lease: Lease,
  member: MemberRecord,
  segment: Segment,
  written: { readonly key: string; readonly bytes: Uint8Array } | null,
  failsForGood: boolean,
): Promise<void> {
  const { config, store } = env;
  // A collector that read the references before this record and found the (deduplicated,
  // older) file unreferenced may have deleted it: now that it is referenced, no collector will
  // again, so one check here makes sure the reference points at a file. (A worker that claims
  // the member in between finds no file and records a failed ready point, which is recovered
  // like any other; this needs a collection between the put and the record of an identical
  // state older than the collector's grace period.)
  if (written !== null && !(await env.checkpoints.has(written.key))) {
    env.log(`member ${member.id}: checkpoint collected before it was recorded; writing it again`);
    await env.checkpoints.put(written.bytes);
  }
  if (failsForGood) {
    await store.failMember(
      lease,
      `${config.maxFailures} consecutive failed ready points; last: ${segment.error ?? ''}`,
    );
  }
}

/** Collect stage (every `everyMs`): delete checkpoints nothing retains any more. */
async function collect(env: WorkerEnv, options: CollectOptions): Promise<void> {
  try {
    const report = await collectCheckpoints(
      env.store,
      env.checkpoints,
      options.minAgeMs,
      env.clock,
    );
    if (report.deleted > 0) {
      env.log(`collected ${report.deleted} unreferenced checkpoints (${report.freedBytes} bytes)`);
    }
  } catch (err) {
    // Disk space is not worth a ready point: try again next time.
    env.log(`checkpoint collection failed: ${errorMessage(err)}`);
  }
}

/** The member spent its budget with a successful last ready point. */
function finished(env: WorkerEnv, segment: Segment): boolean {
  return segment.metrics !== null && segment.reached >= env.config.budget.steps;
}

/** Stop and lease loss end the cycle (after freeing the state); other errors fail the ready point. */
async function rethrowControl(env: WorkerEnv, err: unknown, state: unknown): Promise<void> {
  if (err instanceof StopRequested || err instanceof LeaseLostError) {
    await dispose(env, state);
    throw err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function dispose(env: WorkerEnv, state: unknown): Promise<void> {
  if (state !== undefined) await env.task.dispose?.(state);
}

function contextFor(env: WorkerEnv, member: Pick<MemberRecord, 'id' | 'step'>): TaskContext {
  const seed = hashSeed(env.seed, 'member', member.id, member.step);
  return {
    experimentId: env.experimentId,
    memberId: member.id,
    seed,
    rng: createRng(seed),
    step: member.step,
    log: (message) => env.log(`member ${member.id}: ${message}`),
  };
}

export function readyConfig(config: ExperimentConfig): ReadyConfig {
  return { kind: config.ready.unit, every: config.ready.every, burnIn: config.ready.burnIn };
}
