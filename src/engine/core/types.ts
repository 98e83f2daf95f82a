/** Core value types shared by every layer. Pure data, no behaviour. */

/** A hyperparameter value: numbers for continuous/integer params, strings or numbers for categorical. */
export type HparamValue = number | string;

/** One member's hyperparameters, by name. */
export type Hparams = Readonly<Record<string, HparamValue>>;

/** Members are numbered 0..population-1 inside an experiment. */
export type MemberId = number;

/** What `Task.evaluate` returns: `score` is maximised; any other numbers are kept as metrics. */
export interface Metrics {
  readonly score: number;
  readonly [name: string]: number;
}

export type MemberStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * A read-only view of one member, as strategies see it. Strategies compare members by
 * `score` (the last successful evaluation) and never exploit a member without a checkpoint.
 */
export interface MemberView {
  readonly id: MemberId;
  /** Training steps this member has spent (its compute, not its donor's). */
  readonly step: number;
  /** Last successful evaluation score; null before the first evaluation. */
  readonly score: number | null;
  /** True when the last ready point failed (task threw or score was not finite). */
  readonly lastFailed: boolean;
  readonly hparams: Hparams;
  /** Content hash of the member's current checkpoint; null before its first one. */
  readonly checkpoint: string | null;
  readonly status: MemberStatus;
  /**
   * True while a recorded ready point awaits its decision. Store snapshots set it (ASHA tells a
   * member still waiting at a rung from one already promoted by it); absent means unknown.
   */
  readonly decisionDue?: boolean;
}

/** The whole population at one instant, in member id order. */
export type PopulationSnapshot = readonly MemberView[];

/** One successful evaluation of a member, as history-reading strategies see it. */
export interface ScorePoint {
  readonly step: number;
  readonly score: number;
  /** The hyperparameters the member trained with in the segment that ended here. */
  readonly hparams: Hparams;
}

/**
 * A member's recent successful evaluations (oldest first) and the steps at which it exploited
 * (copied another member's weights, right after its evaluation at that step).
 */
export interface MemberHistory {
  readonly points: readonly ScorePoint[];
  readonly exploitSteps: readonly number[];
}

/** Recent history by member id; read by fitness windows, t-test selection and PB2. */
export type PopulationHistory = ReadonlyMap<MemberId, MemberHistory>;

/** The outcome of a ready point, returned by a strategy's `decide`. */
export type Decision =
  | { readonly kind: 'continue' }
  | {
      readonly kind: 'exploit';
      readonly donor: MemberId;
      /** The new hyperparameters (donor's, after explore). */
      readonly hparams: Hparams;
      /** Human-readable list of what explore did, e.g. `lr*1.2`, `l1 resampled`. */
      readonly operations: readonly string[];
    }
  | { readonly kind: 'stop'; readonly reason: string }
  /** Finished early, not failed: e.g. an ASHA configuration not promoted past its rung. */
  | { readonly kind: 'retire'; readonly reason: string };
