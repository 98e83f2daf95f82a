import type { Rng } from '../core/rng.js';
import type { CustomExplore } from '../strategies/explore.js';
import type { SearchSpace } from '../core/space-types.js';
import type { Hparams, MemberId, Metrics } from '../core/types.js';

/**
 * User training code: the unit a worker runs. `S` is the task's in-memory state (a model, an
 * optimizer, an environment). Everything a member needs to continue must round-trip through
 * `save`/`load`, including optimizer state, so that exploit continues from the donor exactly.
 */
export interface Task<S = unknown> {
  readonly name: string;
  readonly space: SearchSpace;
  /** A fresh member with hyperparameters `h`. */
  create(h: Hparams, ctx: TaskContext): Promise<S>;
  /** Train `steps` steps with hyperparameters `h` (which may have changed since the last call). */
  train(state: S, h: Hparams, steps: number, ctx: TaskContext): Promise<void>;
  /**
   * Evaluate; `score` is maximised. Return a metric `diverged` > 0 when the model blew up (e.g.
   * the loss exploded): the ready point then counts as failed, so the member is never copied.
   */
  evaluate(state: S, ctx: TaskContext): Promise<Metrics>;
  save(state: S): Promise<Uint8Array>;
  /** Restore a saved state (possibly another member's) and continue with hyperparameters `h`. */
  load(bytes: Uint8Array, h: Hparams, ctx: TaskContext): Promise<S>;
  dispose?(state: S): void | Promise<void>;
  /**
   * Optional: free what the task keeps between members (e.g. a warm trainable process). Called
   * when a worker stops; the task stays usable and acquires them again if used.
   */
  release?(): void | Promise<void>;
  /**
   * Optional: score a saved member (checkpoint bytes and the hyperparameters it was saved with)
   * on a named split of the task's data, outside any run: `pbt best --evaluate test`, experiment
   * scripts. It keeps nothing; an unknown split is a ConfigError naming the known ones.
   */
  evaluateCheckpoint?(
    bytes: Uint8Array,
    h: Hparams,
    split: string,
    ctx: EvaluationContext,
  ): Promise<Metrics>;
  /** The splits evaluateCheckpoint knows, e.g. ['validation', 'test']. */
  readonly splits?: readonly string[];
  /**
   * Optional: replaces the built-in explore step (perturb/noise/resample) for this task. Its
   * output is clamped into the space and validated like the built-in one's.
   */
  readonly explore?: CustomExplore;
}

/** What evaluating a saved member outside a run gives a task: no member, no training step. */
export interface EvaluationContext {
  /** Seeds any randomness of the evaluation (e.g. generated samples), so it is repeatable. */
  readonly seed: number;
  readonly rng: Rng;
  log(message: string): void;
}

export interface TaskContext extends EvaluationContext {
  readonly experimentId: string;
  readonly memberId: MemberId;
  /** Deterministic per (experiment seed, member, purpose); tasks use it for init and data order. */
  readonly seed: number;
  /** Steps this member has trained so far. */
  readonly step: number;
  log(message: string): void;
}

/**
 * A task as the registry and CLI know it: how to build one from options, and the experiment
 * defaults that reproduce its published setting.
 */
export interface TaskDefinition<O = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** Defaults for the experiment config (population, budget, ready, exploit, explore ...). */
  readonly defaults?: Record<string, unknown>;
  /** Parse/validate task options (throw ConfigError on bad input). */
  parseOptions?(raw: unknown): O;
  create(options: O): Task | Promise<Task>;
}
