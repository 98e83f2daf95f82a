/**
 * The previous ready point's checkpoint write and the record that follows it, still in flight
 * while the worker goes on with its next member: at most one at a time. Its failure (a write
 * error, the store) is thrown by `settle`, at a point where the worker can act on it.
 */
export class InFlightRecord {
  private promise: Promise<void> | null = null;
  private running = false;

  /** Take over `work`; the one taken before must have been settled. */
  start(work: Promise<void>): void {
    if (this.promise !== null) throw new Error('a checkpoint write is already in flight');
    this.running = true;
    const tracked = work.finally(() => {
      this.running = false;
    });
    // Handled here so a failure before `settle` is not an unhandled rejection; `settle` throws it.
    tracked.catch(() => undefined);
    this.promise = tracked;
  }

  /** True until the work has finished (even if nobody has settled it yet). */
  get active(): boolean {
    return this.running;
  }

  /** True while work was started and not settled. */
  get pending(): boolean {
    return this.promise !== null;
  }

  /** Wait for the work, if any, and throw its failure. */
  async settle(): Promise<void> {
    const promise = this.promise;
    this.promise = null;
    if (promise !== null) await promise;
  }
}
