import type * as tfType from '@tensorflow/tfjs';
import { ConfigError } from '../../engine/core/errors.js';
import { hashSeed } from '../../engine/core/rng.js';
import type { Hparams } from '../../engine/core/types.js';
import type { TaskContext } from '../../engine/tasks/task.js';
import { encodeCheckpoint } from './checkpoint.js';

/**
 * What the TF.js tasks (image-classification, nmt, gan) share around their models: reading
 * numeric hyperparameters, and the checkpoint skeleton (named variables + optimizer states +
 * a meta record tagged with the task's format).
 */

/** A finite number hyperparameter (`positive`: also > 0); names the task on bad input. */
export function hparamNumber(
  task: string,
  h: Hparams,
  name: string,
  opts: { positive?: boolean } = {},
): number {
  const value = h[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || (opts.positive && value <= 0)) {
    throw new ConfigError(
      `${task} needs a ${opts.positive ? 'positive' : 'numeric'} hyperparameter "${name}", got ${String(value)}`,
    );
  }
  return value;
}

/** Meta data every task checkpoint carries: which format wrote it. */
export interface TaggedMeta {
  readonly format: string;
}

/** A checkpoint of named variables, optimizer states and the task's meta record. */
export function encodeTaskCheckpoint(
  variables: readonly { readonly name: string; readonly tensor: tfType.Tensor }[],
  optimizers: Readonly<Record<string, tfType.Optimizer>>,
  meta: TaggedMeta,
): Promise<Uint8Array> {
  return encodeCheckpoint({ tensors: [...variables], optimizers, meta });
}

/** Check a decoded checkpoint's meta was written by `format` with the fields a task needs. */
export function checkTaskMeta<M extends TaggedMeta>(
  raw: unknown,
  format: M['format'],
  required: readonly (keyof M)[],
): M {
  const meta = raw as Partial<M> | null;
  const task = format.split('/')[0] ?? format;
  if (meta?.format !== format || required.some((key) => meta[key] === undefined)) {
    throw new ConfigError(`not a ${task} checkpoint (wrong or missing meta data)`);
  }
  return meta as M;
}

/** The bookkeeping of whose training a member's weights continue: owner and batch order. */
export interface OwnedState<Sampler> {
  owner: number;
  samplerSeed: number;
  sampler: Sampler;
}

/** The sampler seed of a member: its own batch order (and noise), from the experiment seed. */
export const samplerSeedOf = (ctx: TaskContext): number => hashSeed(ctx.seed, 'sampler');

/**
 * After an exploit the member holds a donor's weights: from here on they continue with this
 * member's own batch order (a fresh sampler from its seed), not the donor's.
 */
export function adoptOwnership<Sampler>(
  state: OwnedState<Sampler>,
  ctx: TaskContext,
  newSampler: (seed: number) => Sampler,
): void {
  if (state.owner === ctx.memberId) return;
  state.owner = ctx.memberId;
  state.samplerSeed = samplerSeedOf(ctx);
  state.sampler = newSampler(state.samplerSeed);
}
