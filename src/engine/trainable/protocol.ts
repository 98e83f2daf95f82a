import { z } from 'zod';
import type { Hparams } from '../core/types.js';

/**
 * The trainable process protocol (docs/protocol.md): pbt writes one JSON request per line on
 * the trainable's stdin; the trainable answers each with one line on stdout starting with
 * `@pbt `. Every other stdout line, and all of stderr, is a log line of the member.
 */
export const PROTOCOL_VERSION = 1;

/** Marks a protocol line on stdout, so that prints of the training code stay log lines. */
export const RESPONSE_PREFIX = '@pbt ';

interface MemberFields {
  /** The member this process now works for, and the step it is at. */
  readonly member: number;
  readonly step: number;
}

export type Request =
  | ({ readonly op: 'init'; readonly hparams: Hparams; readonly seed: number } & MemberFields)
  | ({
      readonly op: 'load';
      readonly path: string;
      readonly hparams: Hparams;
      readonly seed: number;
    } & MemberFields)
  | ({ readonly op: 'train'; readonly steps: number; readonly hparams: Hparams } & MemberFields)
  | ({ readonly op: 'evaluate' } & MemberFields)
  | { readonly op: 'save'; readonly path: string }
  | { readonly op: 'shutdown' };

export type Op = Request['op'];

/** A request as written on the wire: versioned and numbered. */
export type Envelope = Request & { readonly v: number; readonly id: number };

export function encodeRequest(id: number, request: Request): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, id, ...request })}\n`;
}

/**
 * JSON has no NaN or Infinity: a metric may be sent as null or as one of these strings (the
 * helpers do), so that a diverged run is reported as non-finite rather than as a malformed line.
 */
const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  nan: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  inf: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
};
const metricValue = z.union([
  z.number(),
  z.null().transform(() => Number.NaN),
  z
    .string()
    .refine((s) => Object.hasOwn(NON_FINITE, s), {
      message: 'a metric is a number, null, or one of "NaN", "Infinity", "-Infinity"',
    })
    .transform((s) => NON_FINITE[s] ?? Number.NaN),
]);

const responseSchema = z.discriminatedUnion('ok', [
  z.object({
    v: z.literal(PROTOCOL_VERSION, {
      message: `the protocol version must be ${PROTOCOL_VERSION}`,
    }),
    id: z.number().int(),
    ok: z.literal(true),
    metrics: z.record(z.string(), metricValue).optional(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION, {
      message: `the protocol version must be ${PROTOCOL_VERSION}`,
    }),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.string(),
  }),
]);

export type Response = z.output<typeof responseSchema>;

export type ParsedLine =
  | { readonly kind: 'log'; readonly text: string }
  | { readonly kind: 'response'; readonly response: Response }
  | { readonly kind: 'malformed'; readonly problem: string };

/** Classify one stdout line of a trainable. */
export function parseLine(line: string): ParsedLine {
  if (!line.startsWith(RESPONSE_PREFIX)) return { kind: 'log', text: line };
  let json: unknown;
  try {
    json = JSON.parse(line.slice(RESPONSE_PREFIX.length));
  } catch (err) {
    return { kind: 'malformed', problem: `not valid JSON (${(err as Error).message})` };
  }
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`,
    );
    return { kind: 'malformed', problem: problems.join('; ') };
  }
  return { kind: 'response', response: parsed.data };
}

/** Short description of a request for error messages, e.g. `train (50 steps)`. */
export function describeRequest(id: number, request: Request): string {
  const what =
    request.op === 'train'
      ? `train (${request.steps} steps)`
      : request.op === 'save' || request.op === 'load'
        ? `${request.op} (${request.path})`
        : request.op;
  return `request ${id}: ${what}`;
}
