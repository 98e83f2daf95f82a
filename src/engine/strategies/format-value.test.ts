import { describe, expect, it } from 'vitest';
import { formatValue } from './format-value.js';

describe('formatValue', () => {
  it('keeps lineage operations short and readable', () => {
    expect(formatValue(64)).toBe('64');
    expect(formatValue(-3)).toBe('-3');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.01 * 1.2)).toBe('0.012');
    expect(formatValue(0.0031)).toBe('0.0031');
    expect(formatValue(1e-4)).toBe('1e-4');
    expect(formatValue(3.2e-4)).toBe('3.2e-4');
    expect(formatValue(10 ** -3.5)).toBe('3.16e-4');
    expect(formatValue(2.5e6)).toBe('2.5e6');
    expect(formatValue(123.456789)).toBe('123.5');
    expect(formatValue('adam')).toBe('adam');
  });
});
