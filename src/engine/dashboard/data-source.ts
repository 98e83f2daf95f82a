import { PbtError } from '../core/errors.js';
import type { ExperimentRecord, MemberRecord, Store } from '../store/store.js';
import { SettledCursor } from './settled-cursor.js';
import {
  publicExperiment,
  publicMember,
  publicResult,
  type BaselineData,
  type ExperimentChanges,
  type ExperimentData,
  type ExperimentListRow,
  configOf,
} from './wire.js';

/** Rows may commit out of id order (PostgreSQL); see SettledCursor. */
const SETTLE_MS = 5_000;

/**
 * How long a row may stay invisible after a higher id was read: none where the store makes
 * rows visible in id order. (With 5 s after a snapshot, every poll re-read the whole
 * experiment for 5 s: 100,000 rows a second, blocking the server while it sent the snapshot.)
 */
const settleMsOf = (store: Store): number => (store.idsVisibleInOrder === true ? 0 : SETTLE_MS);

const stringOr = (v: unknown, fallback: string | null): string | null =>
  typeof v === 'string' ? v : fallback;

function budgetOf(e: ExperimentRecord): number | null {
  const budget = configOf(e).budget;
  if (typeof budget === 'number') return budget;
  const steps = (budget as { steps?: unknown } | undefined)?.steps;
  return typeof steps === 'number' ? steps : null;
}

/** A list row from an experiment and its members. Pure. */
export function listRow(e: ExperimentRecord, members: readonly MemberRecord[]): ExperimentListRow {
  const config = configOf(e);
  const budget = budgetOf(e);
  let best: MemberRecord | null = null;
  for (const m of members) {
    if (m.score !== null && m.status !== 'failed' && (best === null || m.score > (best.score ?? 0)))
      best = m;
  }
  const stepsDone = members.reduce(
    (s, m) => s + (budget === null ? m.step : Math.min(m.step, budget)),
    0,
  );
  return {
    id: e.id,
    name: stringOr(config.name, null),
    status: e.status,
    task: e.task,
    method: stringOr(config.method, 'pbt') ?? 'pbt',
    group: stringOr(config.group, null),
    populationSize: e.populationSize,
    createdAt: e.createdAt,
    progress:
      budget === null || members.length === 0 ? null : stepsDone / (budget * members.length),
    stepsDone,
    bestScore: best?.score ?? null,
    bestMember: best?.id ?? null,
  };
}

/** The dashboard's reads, all through the (read-only) store. */
export class DashboardData {
  constructor(private readonly store: Store) {}

  async experimentList(): Promise<ExperimentListRow[]> {
    const experiments = await this.store.listExperiments();
    return Promise.all(
      experiments.map(async (e) => listRow(e, await this.store.listMembers(e.id))),
    );
  }

  /** The experiments a page most likely opens first: the running ones, else the newest. */
  async likelyFirst(max: number): Promise<string[]> {
    const experiments = await this.store.listExperiments();
    const running = experiments.filter((e) => e.status === 'running');
    return (running.length > 0 ? running : experiments).slice(0, max).map((e) => e.id);
  }

  async experiment(id: string): Promise<ExperimentRecord> {
    const e = await this.store.getExperiment(id);
    if (e === null) throw new PbtError('NOT_FOUND', `no experiment "${id}" in this store`);
    return e;
  }

  /**
   * The first view of one experiment, and a feed that reads what changes after it. Baselines:
   * `compare` when given, else the other experiments of its group.
   */
  async open(
    id: string,
    now: number,
    compare?: readonly ExperimentRecord[],
  ): Promise<{ snapshot: ExperimentData; feed: ExperimentFeed }> {
    const experiment = await this.experiment(id);
    const feed = new ExperimentFeed(this.store, id);
    const [members, results, lineage, baselines] = await Promise.all([
      this.store.listMembers(id),
      this.store.listResultsSince(id, 0),
      this.store.listLineageSince(id, 0),
      this.baselines(experiment, compare),
    ]);
    feed.prime(experiment.status, members, results, lineage, now);
    return {
      snapshot: {
        experiment: publicExperiment(experiment),
        members: members.map(publicMember),
        results: results.map(publicResult),
        lineage,
        baselines,
      },
      feed,
    };
  }

  /** Other experiments of the same group, as the report compares them. */
  private async baselines(
    experiment: ExperimentRecord,
    compare: readonly ExperimentRecord[] | undefined,
  ): Promise<BaselineData[]> {
    const group = configOf(experiment).group;
    let others: readonly ExperimentRecord[];
    if (compare !== undefined && compare.length > 0) others = compare;
    else if (typeof group !== 'string') return [];
    else
      others = (await this.store.listExperiments()).filter(
        (e) => e.id !== experiment.id && configOf(e).group === group,
      );
    return Promise.all(
      others.map(async (e) => ({
        label: `${stringOr(configOf(e).method, 'pbt') ?? 'pbt'} (${e.id})`,
        experiment: publicExperiment(e),
        results: (await this.store.listResults(e.id)).map(publicResult),
      })),
    );
  }
}

/** Reads what changed in one experiment since the previous read: new rows, changed members. */
export class ExperimentFeed {
  private readonly results: SettledCursor;
  private readonly lineage: SettledCursor;
  /** Last member records sent, as JSON, to send only those that changed. */
  private readonly members = new Map<number, string>();
  private status: string | null = null;

  constructor(
    private readonly store: Store,
    readonly experimentId: string,
  ) {
    this.results = new SettledCursor(settleMsOf(store));
    this.lineage = new SettledCursor(settleMsOf(store));
  }

  prime(
    status: string,
    members: readonly MemberRecord[],
    results: readonly { id: number }[],
    lineage: readonly { id: number }[],
    now: number,
  ): void {
    this.status = status;
    for (const m of members) this.members.set(m.id, JSON.stringify(m));
    this.results.accept(results, now);
    this.lineage.accept(lineage, now);
  }

  /** The changes since the last call, or null when nothing changed. */
  async poll(now: number): Promise<ExperimentChanges | null> {
    const id = this.experimentId;
    const [experiment, members, results, lineage] = await Promise.all([
      this.store.getExperiment(id),
      this.store.listMembers(id),
      this.store.listResultsSince(id, this.results.from),
      this.store.listLineageSince(id, this.lineage.from),
    ]);
    const status = experiment?.status ?? 'stopped';
    const changed = members.filter((m) => {
      const json = JSON.stringify(m);
      if (this.members.get(m.id) === json) return false;
      this.members.set(m.id, json);
      return true;
    });
    const freshResults = this.results.accept(results, now);
    const freshLineage = this.lineage.accept(lineage, now);
    const statusChanged = status !== this.status;
    this.status = status;
    if (
      !statusChanged &&
      changed.length === 0 &&
      freshResults.length === 0 &&
      freshLineage.length === 0
    )
      return null;
    return {
      status,
      members: changed.map(publicMember),
      results: freshResults.map(publicResult),
      lineage: freshLineage,
    };
  }
}
