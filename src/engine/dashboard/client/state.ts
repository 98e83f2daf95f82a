import type { LineageEvent, MemberRecord, ResultRecord } from '../../store/store.js';
import { buildReportModel, type ReportModel } from '../../report/report-model.js';
import { mergeChanges } from '../merge-changes.js';
import type { ExperimentChanges, ExperimentData, PublicExperiment } from '../wire.js';

/** One experiment as the page knows it: the records, grown by updates. */
export class ExperimentState {
  private data: ExperimentData;
  private cached: ReportModel | null = null;
  /** Counts the updates that brought lineage events (the tree is redrawn only then). */
  lineageVersion = 0;

  constructor(data: ExperimentData) {
    this.data = data;
  }

  get experiment(): PublicExperiment {
    return this.data.experiment;
  }
  get members(): readonly MemberRecord[] {
    return this.data.members;
  }
  get results(): readonly ResultRecord[] {
    return this.data.results;
  }
  get lineage(): readonly LineageEvent[] {
    return this.data.lineage;
  }

  apply(changes: ExperimentChanges): void {
    this.data = mergeChanges(this.data, changes);
    if (changes.lineage.length > 0) this.lineageVersion++;
    this.cached = null;
  }

  /** The same view model the static report is drawn from. */
  model(): ReportModel {
    this.cached ??= buildReportModel(this.data);
    return this.cached;
  }
}
