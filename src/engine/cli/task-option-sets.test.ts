import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseTaskOptionSets } from './task-option-sets.js';

describe('parseTaskOptionSets', () => {
  it('reads JSON values (numbers, booleans, arrays) and keeps other text as strings', () => {
    expect(
      parseTaskOptionSets([
        'lowercase=false',
        'beam=4',
        'lr=1e-3',
        'corpus=multi30k',
        'sizes=[1,2]',
        'note=a=b',
      ]),
    ).toEqual({
      lowercase: false,
      beam: 4,
      lr: 0.001,
      corpus: 'multi30k',
      sizes: [1, 2],
      note: 'a=b',
    });
  });

  it('rejects a flag without key=value, naming it', () => {
    expect(() => parseTaskOptionSets(['beam'])).toThrow(ConfigError);
    expect(() => parseTaskOptionSets(['=4'])).toThrow(/--set takes key=value, got "=4"/);
  });
});
