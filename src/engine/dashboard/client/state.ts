import type { LineageEvent, MemberRecord, ResultRecord } from '../../store/store.js';
import { buildReportModel, type ReportModel } from '../../report/report-model.js';
import type { ExperimentSnapshot, ExperimentUpdate, PublicExperiment } from '../wire.js';

/** One experiment as the page knows it: the raw records, grown by updates. */
export class ExperimentState {
  experiment: PublicExperiment;
  members: MemberRecord[];
  results: ResultRecord[];
  lineage: LineageEvent[];
  readonly snapshot: ExperimentSnapshot;
  private cached: ReportModel | null = null;

  constructor(snapshot: ExperimentSnapshot) {
    this.snapshot = snapshot;
    this.experiment = snapshot.experiment;
    this.members = [...snapshot.members];
    this.results = [...snapshot.results];
    this.lineage = [...snapshot.lineage];
  }

  apply(update: ExperimentUpdate): void {
    this.experiment = { ...this.experiment, status: update.status };
    const byId = new Map(this.members.map((m) => [m.id, m]));
    for (const m of update.members) byId.set(m.id, m);
    this.members = [...byId.values()].sort((a, b) => a.id - b.id);
    this.results.push(...update.results);
    this.lineage.push(...update.lineage);
    this.lineage.sort((a, b) => a.id - b.id);
    this.cached = null;
  }

  /** The same view model the static report is drawn from. */
  model(): ReportModel {
    this.cached ??= buildReportModel({
      experiment: this.experiment,
      members: this.members,
      results: this.results,
      lineage: this.lineage,
      baselines: this.snapshot.baselines,
    });
    return this.cached;
  }
}
