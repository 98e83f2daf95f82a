import { ConfigError } from '../../engine/core/errors.js';

export const PAD = '<PAD>';
export const BOS = '<BOS>';
export const EOS = '<EOS>';
export const UNK = '<UNK>';
export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
/** Always the first ids, in this order; padding is id 0 so zero-filled buffers are padded. */
export const SPECIAL_TOKENS: readonly string[] = [PAD, BOS, EOS, UNK];

/** Default cap on words per sentence (the Europarl sample has at most 40 tokens per sentence). */
export const DEFAULT_MAX_LENGTH = 40;

export interface VocabularyOptions {
  /** Words seen fewer times than this in training map to `<UNK>`. Default 5. */
  readonly minCount?: number;
  /** Largest vocabulary size, the 4 special tokens included; the most frequent words win. */
  readonly maxSize?: number;
}

export interface EncodeOptions {
  /** Prepend `<BOS>` (default false). */
  readonly bos?: boolean;
  /** Append `<EOS>` (default true). */
  readonly eos?: boolean;
  /** Keep at most this many words (BOS/EOS not counted). Default 40. */
  readonly maxLength?: number;
}

/** Word <-> id mapping built from training tokens. */
export class Vocabulary {
  private readonly index: Map<string, number>;

  private constructor(readonly tokens: readonly string[]) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Count the words of `sentences`; keep those seen at least `minCount` times, most frequent
   * first (ties in code-point order, so the result does not depend on input order).
   */
  static build(
    sentences: Iterable<readonly string[]>,
    options: VocabularyOptions = {},
  ): Vocabulary {
    const minCount = options.minCount ?? 5;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new ConfigError(`vocabulary minCount must be an integer >= 1, got ${minCount}`);
    }
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (
      maxSize !== Number.POSITIVE_INFINITY &&
      (!Number.isInteger(maxSize) || maxSize <= SPECIAL_TOKENS.length)
    ) {
      throw new ConfigError(
        `vocabulary maxSize must be an integer > ${SPECIAL_TOKENS.length} (it includes the special tokens), got ${maxSize}`,
      );
    }
    const counts = new Map<string, number>();
    for (const sentence of sentences) {
      for (const token of sentence) counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    const specials = new Set(SPECIAL_TOKENS);
    const words = [...counts]
      .filter(([token, count]) => count >= minCount && !specials.has(token))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxSize - SPECIAL_TOKENS.length)
      .map(([token]) => token);
    return new Vocabulary([...SPECIAL_TOKENS, ...words]);
  }

  /** Rebuild from `toJSON().tokens` (e.g. from a checkpoint). */
  static fromTokens(tokens: readonly string[]): Vocabulary {
    SPECIAL_TOKENS.forEach((s, i) => {
      if (tokens[i] !== s) {
        throw new ConfigError(`vocabulary token ${i} must be ${s}, got ${String(tokens[i])}`);
      }
    });
    if (new Set(tokens).size !== tokens.length)
      throw new ConfigError('vocabulary has duplicate tokens');
    return new Vocabulary([...tokens]);
  }

  get size(): number {
    return this.tokens.length;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  /** The id of `token`, `UNK_ID` when it is not in the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? UNK_ID;
  }

  token(id: number): string {
    const token = this.tokens[id];
    if (token === undefined) throw new RangeError(`token id ${id} is outside 0..${this.size - 1}`);
    return token;
  }

  /** Words to ids, cut to `maxLength` words, with `<EOS>` (and optionally `<BOS>`) added. */
  encode(tokens: readonly string[], options: EncodeOptions = {}): number[] {
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    const ids: number[] = [];
    if (options.bos === true) ids.push(BOS_ID);
    for (const t of tokens.slice(0, maxLength)) ids.push(this.id(t));
    if (options.eos ?? true) ids.push(EOS_ID);
    return ids;
  }

  /** Ids to words: stops at the first `<EOS>` and drops `<PAD>`/`<BOS>` unless `keepSpecials`. */
  decode(ids: ArrayLike<number>, options: { keepSpecials?: boolean } = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (options.keepSpecials !== true) {
        if (id === EOS_ID) break;
        if (id === PAD_ID || id === BOS_ID) continue;
      }
      out.push(this.token(id));
    }
    return out;
  }

  /** Share of the tokens in `sentences` that map to `<UNK>`. */
  unknownRate(sentences: Iterable<readonly string[]>): number {
    let total = 0;
    let unknown = 0;
    for (const s of sentences) {
      for (const t of s) {
        total++;
        if (!this.index.has(t)) unknown++;
      }
    }
    return total === 0 ? 0 : unknown / total;
  }

  toJSON(): { tokens: string[] } {
    return { tokens: [...this.tokens] };
  }
}

/** Cut or pad (with `padId`) to exactly `length` ids. */
export function padTo(
  ids: readonly number[],
  length: number = DEFAULT_MAX_LENGTH,
  padId = PAD_ID,
): number[] {
  const out = ids.slice(0, length);
  while (out.length < length) out.push(padId);
  return out;
}
