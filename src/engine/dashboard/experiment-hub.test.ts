import { afterEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../store/store.js';
import { ExperimentHub } from './experiment-hub.js';
import { mergeChanges } from './merge-changes.js';
import {
  fromSnapshot,
  fromUpdate,
  type ExperimentChanges,
  type ExperimentData,
  type ExperimentSnapshot,
  type ExperimentUpdate,
} from './wire.js';

const result = (id: number, memberId: number, step: number): ResultRecord => ({
  id,
  experimentId: 'e',
  memberId,
  step,
  score: step / 1000,
  metrics: null,
  error: null,
  hparams: { lr: 0.01 },
  checkpoint: '',
  time: id,
  trainSeconds: 0.1,
});

const initial: ExperimentData = {
  experiment: {
    id: 'e',
    task: 'toy',
    seed: 1,
    config: {},
    status: 'running',
    populationSize: 2,
    createdAt: 0,
  },
  members: [],
  results: [result(1, 0, 100), result(2, 1, 100)],
  lineage: [],
  baselines: [],
};

/** A feed whose every poll brings one new result; counts the polls (= store reads). */
class FakeFeed {
  polls = 0;
  poll(): Promise<ExperimentChanges | null> {
    this.polls++;
    const id = 2 + this.polls;
    return Promise.resolve({
      status: 'running',
      members: [],
      lineage: [],
      results: [result(id, id % 2, 100 * id)],
    });
  }
}

type Received = { event: string; json: string; id: string | undefined }[];
const subscriber = (into: Received) => ({
  send: (event: string, json: string, id?: string) => into.push({ event, json, id }),
});
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** What a page holds after these events: the snapshot with every update applied. */
function pageData(events: Received): ExperimentData {
  let data: ExperimentData | null = null;
  for (const e of events) {
    if (e.event === 'snapshot') data = fromSnapshot(JSON.parse(e.json) as ExperimentSnapshot);
    else if (e.event === 'update' && data !== null)
      data = mergeChanges(data, fromUpdate(JSON.parse(e.json) as ExperimentUpdate, 'e'));
  }
  if (data === null) throw new Error('no snapshot');
  return data;
}

describe('ExperimentHub: one store watch per experiment, shared by its pages', () => {
  const hubs: ExperimentHub[] = [];
  afterEach(() => {
    for (const h of hubs.splice(0)) h.close();
  });
  function hub(feed: FakeFeed): ExperimentHub {
    // A long interval: only the first poll (run when the first page subscribes) happens.
    const h = new ExperimentHub(initial, feed, {
      pollMs: 1e9,
      now: () => 0,
      idleMs: 1e9,
      onIdle: () => undefined,
    });
    hubs.push(h);
    return h;
  }

  it('polls once for two pages and sends both the same snapshot and update', async () => {
    const feed = new FakeFeed();
    const h = hub(feed);
    const a: Received = [];
    const b: Received = [];
    h.subscribe(subscriber(a));
    h.subscribe(subscriber(b));
    await flush();
    expect(feed.polls).toBe(1);
    expect(a.map((e) => e.event)).toEqual(['snapshot', 'update']);
    expect(b).toEqual(a);
    expect(pageData(a).results.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('gives a later page the cached snapshot and the updates since, in order', async () => {
    const feed = new FakeFeed();
    const h = hub(feed);
    const a: Received = [];
    h.subscribe(subscriber(a));
    await flush();
    const c: Received = [];
    h.subscribe(subscriber(c));
    expect(c.map((e) => e.event)).toEqual(['snapshot', 'update']);
    // The snapshot is the one serialised for the first page, not a second read.
    expect(c[0]?.json).toBe(a[0]?.json);
    expect(pageData(c)).toEqual(pageData(a));
  });

  it('resumes a reconnecting page from Last-Event-ID with only what it missed', async () => {
    const feed = new FakeFeed();
    const h = hub(feed);
    const a: Received = [];
    const unsubscribe = h.subscribe(subscriber(a));
    await flush();
    const lastId = a.at(-1)?.id;
    unsubscribe();
    // A second page keeps the hub polling while the first is away.
    const other: Received = [];
    h.subscribe(subscriber(other));
    await flush();
    expect(feed.polls).toBe(2);
    const resumed: Received = [];
    h.subscribe(subscriber(resumed), lastId);
    expect(resumed.map((e) => e.event)).toEqual(['update']);
    expect(pageData([...a, ...resumed]).results.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    // An id from another server run (or one too old) gets a fresh snapshot.
    const stranger: Received = [];
    h.subscribe(subscriber(stranger), 'zzzz.1');
    expect(stranger[0]?.event).toBe('snapshot');
    expect(pageData(stranger).results.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });
});
