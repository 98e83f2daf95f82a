import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { LIMITS } from './limits.js';
import { trainableConfigSchema } from './trainable-config.js';

/**
 * The experiment file (JSON or YAML) and the library options share this schema. Unknown keys
 * are errors (a typo must not silently fall back to a default).
 */
const paramSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('uniform'), min: z.number(), max: z.number() }),
  z.strictObject({ type: z.literal('loguniform'), min: z.number(), max: z.number() }),
  z.strictObject({
    type: z.literal('int'),
    min: z.number().int(),
    max: z.number().int(),
    log: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('categorical'),
    values: z.array(z.union([z.number(), z.string()])).min(1),
  }),
  z.strictObject({ type: z.literal('fixed'), value: z.union([z.number(), z.string()]) }),
]);

/** zod's message for a `.max()`, naming the documented limit. */
const atMost = (limit: number): { message: string } => ({
  message: `must be at most ${limit.toLocaleString('en-US')} (the documented limit, docs/config.md "Limits")`,
});

const ready = z.strictObject({
  every: z.number().positive(),
  unit: z.enum(['steps', 'seconds']).default('steps'),
  burnIn: z.number().int().nonnegative().default(0),
});

const exploit = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('truncation'),
    fraction: z
      .number()
      .gt(0)
      .max(0.5, {
        message: 'the truncation fraction must be at most 0.5 (bottom and top would overlap)',
      })
      .optional(),
    bottom: z.number().int().positive().optional(),
    top: z.number().int().positive().optional(),
  }),
  z.strictObject({ kind: z.literal('tournament') }),
  z.strictObject({
    kind: z.literal('ttest'),
    window: z.number().int().min(2).optional(),
    significance: z.number().gt(0).lt(1).optional(),
  }),
  z.strictObject({ kind: z.literal('none') }),
]);

// Selection (issue 14): what exploit ranks by; see src/engine/strategies/fitness.ts.
const fitness = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('last') }),
  z.strictObject({ kind: z.literal('mean'), window: z.number().int().positive().optional() }),
  z.strictObject({ kind: z.literal('ema'), alpha: z.number().gt(0).max(1).optional() }),
  z.strictObject({
    kind: z.literal('trend'),
    window: z.number().int().positive().optional(),
    horizon: z.number().nonnegative().optional(),
  }),
]);

const explore = z.strictObject({
  kind: z.enum(['perturb', 'pb2']).optional(),
  pb2: z
    .strictObject({
      kappa: z.number().nonnegative().optional(),
      maxPoints: z.number().int().min(2).max(1000).optional(),
    })
    .optional(),
  perturbFactors: z.array(z.number().positive()).min(1).optional(),
  resampleProbability: z.number().min(0).max(1).optional(),
  noise: z
    .strictObject({ sigma: z.number().positive(), params: z.array(z.string()).min(1) })
    .optional(),
});

export const experimentConfigSchema = z
  .strictObject({
    /** Human label; the experiment id is derived from it. */
    name: z.string().min(1).optional(),
    /** A built-in task name (`pbt tasks`) or a path to a module exporting a task. */
    task: z.string().min(1).optional(),
    /** Or a training process in any language (docs/protocol.md); then `space` is required. */
    trainable: trainableConfigSchema.optional(),
    taskOptions: z.record(z.string(), z.unknown()).default({}),
    /** Overrides (per parameter) of the task's search space. */
    space: z.record(z.string(), paramSpec).optional(),
    /**
     * pbt, or a baseline run through the same runtime with the same budget. 'asha' trains its
     * configurations to geometric rungs (see `asha`); 'bo' trains the configurations listed in
     * `initialHparams` (one batch that `pbt compare` proposed by TPE).
     */
    method: z.enum(['pbt', 'random', 'grid', 'fixed', 'asha', 'bo', 'replay']).default('pbt'),
    /**
     * 'replay': one fresh model trained with these hyperparameters from each model step on
     * (`pbt replay` writes it from a PBT member's recorded schedule; no weights are copied).
     */
    schedule: z
      .array(
        z.strictObject({
          fromStep: z.number().int().nonnegative(),
          hparams: z.record(z.string(), z.union([z.number(), z.string()])),
        }),
      )
      .min(1)
      .optional(),
    /** ASHA: reduction factor η and the first rung (default budget/η²); the last is the budget. */
    asha: z
      .strictObject({
        eta: z.number().int().min(2).default(3),
        minSteps: z.number().int().positive().optional(),
      })
      .optional(),
    /** Hyperparameters for method 'fixed' (and defaults for params missing there). */
    fixed: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
    /** Explicit starting hyperparameters of the first PBT members; the others are sampled. */
    initialHparams: z.array(z.record(z.string(), z.union([z.number(), z.string()]))).optional(),
    population: z
      .number()
      .int()
      .positive()
      .max(LIMITS.population, atMost(LIMITS.population))
      .default(10),
    /** Training steps per member. */
    budget: z.strictObject({
      steps: z.number().int().positive().max(LIMITS.budgetSteps, atMost(LIMITS.budgetSteps)),
    }),
    ready: ready.default({ every: 100, unit: 'steps', burnIn: 0 }),
    exploit: exploit.default({ kind: 'truncation', fraction: 0.25 }),
    fitness: fitness.default({ kind: 'last' }),
    explore: explore.default({}),
    mode: z.enum(['async', 'sync']).default('async'),
    seed: z.number().int().nonnegative().default(0),
    /** Local worker processes; 0 creates the experiment for remote workers only. */
    workers: z.number().int().nonnegative().max(LIMITS.workers, atMost(LIMITS.workers)).optional(),
    store: z.string().default('sqlite:.pbt/pbt.db'),
    checkpoints: z.string().default('.pbt/checkpoints'),
    leaseSeconds: z
      .number()
      .positive()
      .max(LIMITS.leaseSeconds, atMost(LIMITS.leaseSeconds))
      .default(60),
    /** Consecutive failed ready points after which a member is marked failed for good. */
    maxFailures: z
      .number()
      .int()
      .positive()
      .max(LIMITS.maxFailures, atMost(LIMITS.maxFailures))
      .default(3),
    /** Experiments with the same group are compared in reports (PBT vs baselines). */
    group: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.task === undefined) === (c.trainable === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: c.task === undefined ? ['task'] : ['trainable'],
        message:
          c.task === undefined
            ? 'required: a built-in task name (see `pbt tasks`), a task module path, or a "trainable" command'
            : 'give either "task" or "trainable", not both',
      });
    }
    if (c.trainable !== undefined && Object.keys(c.space ?? {}).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['space'],
        message:
          'a trainable needs its search space here (or `--space space.yaml`), e.g. "space": { "lr": { "type": "loguniform", "min": 0.0001, "max": 0.1 } }',
      });
    }
    if (c.method === 'pbt' && c.population < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['population'],
        message: 'PBT needs a population of at least 2 (use method "fixed" for a single model)',
      });
    }
    if (
      c.method === 'pbt' &&
      c.exploit.kind === 'truncation' &&
      (c.exploit.bottom ?? 0) + (c.exploit.top ?? 0) > c.population
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['exploit'],
        message: `bottom + top (${(c.exploit.bottom ?? 0) + (c.exploit.top ?? 0)}) exceeds the population (${c.population})`,
      });
    }
    if (c.method === 'pbt' && c.initialHparams && c.initialHparams.length > c.population) {
      ctx.addIssue({
        code: 'custom',
        path: ['initialHparams'],
        message: `has ${c.initialHparams.length} entries but the population is ${c.population}: give at most one per member`,
      });
    }
    if (c.method === 'bo' && (c.initialHparams ?? []).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['initialHparams'],
        message:
          'method "bo" trains the configurations listed here; run Bayesian optimisation with `pbt compare <task> --methods bo`, which proposes them',
      });
    }
    if (c.method === 'replay') {
      const steps = (c.schedule ?? []).map((e) => e.fromStep);
      if (steps[0] !== 0 || steps.some((s, i) => i > 0 && s <= (steps[i - 1] ?? 0))) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule'],
          message:
            'method "replay" needs a schedule starting at fromStep 0 with increasing steps (`pbt replay <experiment>` writes one)',
        });
      }
    }
    if (c.ready.unit === 'steps' && !Number.isInteger(c.ready.every)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ready', 'every'],
        message: 'must be a whole number of steps',
      });
    }
  })
  // Baselines never exploit, whatever exploit setting a task's defaults carry: that is what
  // makes them baselines.
  .transform((c) => {
    if (c.method === 'pbt') return c;
    if (c.method === 'bo') return { ...c, exploit: { kind: 'none' as const } };
    // Explicit starting points belong to PBT; baselines draw theirs from their method.
    const { initialHparams: _unused, ...rest } = c;
    return { ...rest, exploit: { kind: 'none' as const } };
  });

export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;

/** Validate raw config; throws ConfigError listing each issue as `field: problem`. */
export function parseExperimentConfig(raw: unknown, source = 'config'): ExperimentConfig {
  const parsed = experimentConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `${field}: ${describeIssue(issue)}`;
  });
  throw new ConfigError(`invalid ${source}:`, issues);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see docs/config.md)`;
  }
  return issue.message;
}

/**
 * Task defaults merged under a user config. Nested option objects merge key by key; `exploit`
 * (a tagged union) and each parameter spec of `space` are replaced whole, so a user's
 * `{ "kind": "tournament" }` never inherits a default `fraction`.
 */
export function mergeConfig(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (key === 'exploit' || key === 'fitness' || !isPlainObject(prev) || !isPlainObject(value))
      out[key] = value;
    else if (key === 'space') out[key] = { ...prev, ...value };
    else out[key] = mergeConfig(prev, value);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
