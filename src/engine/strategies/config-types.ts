/**
 * Strategy settings as plain data (validated by the config schema in src/config).
 * `decide` in src/strategies interprets them. Optional fields accept `undefined` so that
 * validated config objects (zod output) can be passed as they are.
 */

/** When a member is ready to exploit/explore. */
export type ReadyConfig =
  | { readonly kind: 'steps'; readonly every: number; readonly burnIn?: number | undefined }
  | { readonly kind: 'seconds'; readonly every: number; readonly burnIn?: number | undefined };

/** Which member a lagging member copies. */
export type ExploitConfig =
  /**
   * Truncation selection. With `fraction` (default 0.25), a member in the bottom fraction copies
   * a uniformly chosen member of the top fraction. With `bottom`/`top` counts, a member among the
   * `bottom` worst copies one of the `top` best (the report's "3 worst replaced by the 3 best").
   */
  | {
      readonly kind: 'truncation';
      readonly fraction?: number | undefined;
      readonly bottom?: number | undefined;
      readonly top?: number | undefined;
    }
  /** Binary tournament: compare with one random other member; copy it if it scores higher. */
  | { readonly kind: 'tournament' }
  /**
   * T-test selection (Jaderberg et al. 2017, section 4): compare with one random other member;
   * copy it only when its last `window` evaluations (default 10) beat this member's by Welch's
   * one-sided t-test at `significance` (default 0.05). Ignores `fitness`.
   */
  | {
      readonly kind: 'ttest';
      readonly window?: number | undefined;
      readonly significance?: number | undefined;
    }
  /** Never exploit (grid/random search and fixed baselines). */
  | { readonly kind: 'none' };

/**
 * What truncation and tournament rank members by (see fitness.ts): the last score, the mean of
 * the last `window` evaluations, an exponential moving average, or where a linear trend over the
 * last `window` evaluations puts the member `horizon` steps ahead.
 */
export type FitnessConfig =
  | { readonly kind: 'last' }
  | { readonly kind: 'mean'; readonly window?: number | undefined }
  | { readonly kind: 'ema'; readonly alpha?: number | undefined }
  | {
      readonly kind: 'trend';
      readonly window?: number | undefined;
      readonly horizon?: number | undefined;
    };

/** How copied hyperparameters are changed. */
export interface ExploreConfig {
  /**
   * 'perturb' (default): the paper's perturb/resample below. 'pb2': a GP bandit picks numeric
   * params (Parker-Holder et al. 2020); categorical params still shift/resample.
   */
  readonly kind?: 'perturb' | 'pb2' | undefined;
  /** PB2 settings: UCB exploration weight `kappa` (default 2), `maxPoints` fitted (default 1000). */
  readonly pb2?:
    { readonly kappa?: number | undefined; readonly maxPoints?: number | undefined } | undefined;
  /** Multiply by one of the factors (in log space for log params). Default [0.8, 1.2]. */
  readonly perturbFactors?: readonly number[] | undefined;
  /** Probability of resampling a param from its prior instead of perturbing. Default 0.25. */
  readonly resampleProbability?: number | undefined;
  /**
   * Additive Gaussian noise N(0, sigma) instead of perturbation for the named params
   * (in log10 space for log params), e.g. the report's N(0, 0.5) on the L1 strength.
   */
  readonly noise?: { readonly sigma: number; readonly params: readonly string[] } | undefined;
}

/** How members move through time: asynchronously (the paper) or in synchronous generations. */
export type SyncMode = 'async' | 'sync';
