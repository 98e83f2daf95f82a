import type { ExperimentFeed } from './data-source.js';
import { mergeChanges } from './merge-changes.js';
import { pollLoop } from './poll-loop.js';
import { errorJson, toSnapshot, toUpdate, type ExperimentData } from './wire.js';

/** One open page's event stream. */
export interface Subscriber {
  send(event: string, json: string, id?: string): void;
}

export interface HubOptions {
  readonly pollMs: number;
  readonly now: () => number;
  /** Called when the hub has had no subscriber for `idleMs`: the owner drops it. */
  readonly onIdle: () => void;
  readonly idleMs: number;
  /** Pages are sent the cached snapshot plus at most this many updates; then it is rebuilt. */
  readonly maxReplay?: number;
}

/**
 * One experiment watched for every page that shows it: one feed polls the store once per
 * interval however many pages are open, and the snapshot is serialised once and reused. The
 * hub keeps its records current with each update, so a page that opens later gets the cached
 * snapshot and the few updates sent since, in order. Every event carries an id
 * (`<hub epoch>.<sequence>`): a page that reconnects with Last-Event-ID gets only the updates
 * it missed when the hub still holds them, else a fresh snapshot.
 */
export class ExperimentHub {
  private readonly subscribers = new Set<Subscriber>();
  private seq = 0;
  /** The latest updates as sent, oldest first. */
  private readonly recent: { seq: number; json: string }[] = [];
  private snapshot: { seq: number; json: string } | null = null;
  private stopPolling: (() => void) | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly epoch = Math.random().toString(36).slice(2, 8);
  private readonly maxReplay: number;

  constructor(
    private data: ExperimentData,
    private readonly feed: Pick<ExperimentFeed, 'poll'>,
    private readonly options: HubOptions,
  ) {
    this.maxReplay = options.maxReplay ?? 30;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Sends the page what it lacks and then every update; returns the unsubscribe function. */
  subscribe(sub: Subscriber, lastEventId?: string): () => void {
    const since = this.replayFrom(lastEventId);
    if (since === null) {
      const snapshot = this.currentSnapshot();
      sub.send('snapshot', snapshot.json, this.eventId(snapshot.seq));
      this.replay(sub, snapshot.seq);
    } else this.replay(sub, since);
    this.subscribers.add(sub);
    clearTimeout(this.idleTimer);
    this.stopPolling ??= pollLoop(
      () => this.tick(),
      this.options.pollMs,
      (err) => this.broadcast('failure', errorJson(err)),
    );
    return () => this.unsubscribe(sub);
  }

  /**
   * Serialises the snapshot before any page asks (read ahead at server start); a hub nobody
   * opens is dropped after `idleMs` like one whose pages all left.
   */
  prepare(): void {
    this.currentSnapshot();
    if (this.subscribers.size === 0) this.startIdleTimer();
  }

  /** Stops polling and lets go of every page (the server is closing). */
  close(): void {
    this.stopPolling?.();
    this.stopPolling = null;
    clearTimeout(this.idleTimer);
    this.subscribers.clear();
  }

  private unsubscribe(sub: Subscriber): void {
    if (!this.subscribers.delete(sub) || this.subscribers.size > 0) return;
    // Nobody watches: stop reading the store; keep the records a while for the next page.
    this.stopPolling?.();
    this.stopPolling = null;
    this.startIdleTimer();
  }

  private startIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(this.options.onIdle, this.options.idleMs);
    this.idleTimer.unref();
  }

  private async tick(): Promise<void> {
    const changes = await this.feed.poll(this.options.now());
    if (changes === null) return;
    // Merge, number and send in one synchronous step: a page subscribing in between gets
    // either the snapshot before this update and then the update, or the snapshot after it.
    this.data = mergeChanges(this.data, changes);
    const json = JSON.stringify(toUpdate(changes));
    this.seq++;
    this.recent.push({ seq: this.seq, json });
    if (this.recent.length > this.maxReplay) this.recent.shift();
    this.broadcast('update', json, this.eventId(this.seq));
  }

  private broadcast(event: string, json: string, id?: string): void {
    for (const sub of this.subscribers) sub.send(event, json, id);
  }

  private currentSnapshot(): { seq: number; json: string } {
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
    const cached = this.snapshot;
    // Reuse the cached snapshot while the updates since it are all still held.
    if (cached === null || cached.seq + 1 < oldest) {
      this.snapshot = { seq: this.seq, json: JSON.stringify(toSnapshot(this.data)) };
    }
    return this.snapshot ?? { seq: this.seq, json: '' };
  }

  private replay(sub: Subscriber, since: number): void {
    for (const u of this.recent) if (u.seq > since) sub.send('update', u.json, this.eventId(u.seq));
  }

  /** The sequence after which the page can resume, or null when it needs a snapshot. */
  private replayFrom(lastEventId: string | undefined): number | null {
    const m = /^([a-z0-9]+)\.(\d+)$/.exec(lastEventId ?? '');
    if (m?.[1] !== this.epoch) return null;
    const seq = Number(m[2]);
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
    return seq <= this.seq && seq + 1 >= oldest ? seq : null;
  }

  private eventId(seq: number): string {
    return `${this.epoch}.${seq}`;
  }
}
