import type { HparamValue } from './types.js';

/** One hyperparameter's prior and bounds. Values are always kept inside these bounds. */
export type ParamSpec =
  | { readonly type: 'uniform'; readonly min: number; readonly max: number }
  | { readonly type: 'loguniform'; readonly min: number; readonly max: number }
  | {
      readonly type: 'int';
      readonly min: number;
      readonly max: number;
      readonly log?: boolean | undefined;
    }
  /** An ordered list: explore may shift a value to a neighbour. */
  | { readonly type: 'categorical'; readonly values: readonly HparamValue[] }
  | { readonly type: 'fixed'; readonly value: HparamValue };

/** The hyperparameters a task tunes, by name. */
export type SearchSpace = Readonly<Record<string, ParamSpec>>;
