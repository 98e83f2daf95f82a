import { describe, expect, it } from 'vitest';
import { SettledCursor } from './settled-cursor.js';

const rows = (...ids: number[]) => ids.map((id) => ({ id }));

describe('SettledCursor', () => {
  it('hands out every row once, and a row committed late with a lower id too', () => {
    const c = new SettledCursor(1000);
    expect(c.accept(rows(1, 3), 0).map((r) => r.id)).toEqual([1, 3]);
    // Row 2 took its id before 3 but committed after 3 was read.
    expect(c.from).toBe(0);
    expect(c.accept(rows(1, 2, 3, 4), 500).map((r) => r.id)).toEqual([2, 4]);
    expect(c.accept(rows(1, 2, 3, 4), 600)).toEqual([]);
  });

  it('moves the cursor to what was seen settleMs ago and forgets ids below it', () => {
    const c = new SettledCursor(1000);
    c.accept(rows(1, 2), 0);
    c.accept(rows(1, 2, 5), 500);
    c.accept(rows(1, 2, 5), 1000);
    expect(c.from).toBe(2);
    c.accept(rows(5, 6), 1600);
    expect(c.from).toBe(5);
    // Rows at or below the cursor are never handed out again, even if a store repeats them.
    expect(c.accept(rows(4, 5, 6, 7), 1700).map((r) => r.id)).toEqual([7]);
  });

  it('with nothing to settle (rows visible in id order), moves to the highest id at once', () => {
    const c = new SettledCursor(0);
    expect(c.accept(rows(1, 2, 3), 0).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(c.from).toBe(3);
    expect(c.accept(rows(4), 0).map((r) => r.id)).toEqual([4]);
    expect(c.from).toBe(4);
  });
});
