/**
 * A cursor over append-only rows numbered by a sequence, for reading "what is new" repeatedly.
 * PostgreSQL hands out sequence numbers before commit, so a row with a lower id can become
 * visible after a higher one was read; a plain "id > last seen" would skip it forever. The
 * cursor therefore re-reads from the highest id seen at least `settleMs` ago (every transaction
 * that took an id before then has committed: pbt's transactions last milliseconds) and drops
 * rows it already handed out. Pure: the caller passes the clock.
 */
export class SettledCursor {
  /** Ids handed out above `from`. */
  private readonly seen = new Set<number>();
  /** (time, highest id seen by then), oldest first. */
  private readonly marks: { at: number; maxId: number }[] = [];
  private maxId = 0;
  /** Rows with id <= from are all handed out. */
  private fromId = 0;

  constructor(private readonly settleMs: number) {}

  /** The id to read after. */
  get from(): number {
    return this.fromId;
  }

  /** Keeps the rows not handed out before, and moves the cursor. */
  accept<R extends { readonly id: number }>(rows: readonly R[], now: number): R[] {
    const fresh = rows.filter((r) => r.id > this.fromId && !this.seen.has(r.id));
    for (const r of fresh) {
      this.seen.add(r.id);
      if (r.id > this.maxId) this.maxId = r.id;
    }
    this.marks.push({ at: now, maxId: this.maxId });
    let settled = this.fromId;
    while (this.marks.length > 0 && (this.marks[0]?.at ?? now) <= now - this.settleMs) {
      settled = Math.max(settled, this.marks.shift()?.maxId ?? 0);
    }
    if (settled > this.fromId) {
      this.fromId = settled;
      for (const id of this.seen) if (id <= settled) this.seen.delete(id);
    }
    return fresh;
  }
}
