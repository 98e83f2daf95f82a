import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildReportModel, type ReportBaseline } from '../../report/report-model.js';
import { renderReportHtml } from '../../report/render-html.js';
import { readExperiments, type Experiment } from '../../store/experiments.js';
import type { Store } from '../../store/store.js';
import { findExperiment } from '../context.js';
import { assertExperimentId } from '../../core/experiment-id.js';

/**
 * Build and write the HTML report of one experiment. Baselines: the experiments named with
 * --compare, else every other experiment of the same group.
 */
export async function writeReport(
  store: Store,
  id: string | undefined,
  compare: readonly string[] | undefined,
  outFile: string | undefined,
): Promise<string> {
  const experiment = await findExperiment(store, id);
  const { config } = experiment;
  const others: Experiment[] = [];
  if (compare && compare.length > 0) {
    for (const c of compare) others.push(await findExperiment(store, c));
  } else if (config.group !== undefined) {
    for (const e of await readExperiments(store)) {
      if (e.id !== experiment.id && e.config.group === config.group) others.push(e);
    }
  }
  const baselines: ReportBaseline[] = [];
  for (const e of others) {
    baselines.push({
      label: `${e.config.method} (${e.id})`,
      experiment: e,
      results: await store.listResults(e.id),
    });
  }
  const [members, results, lineage] = await Promise.all([
    store.listMembers(experiment.id),
    store.listResults(experiment.id),
    store.listLineage(experiment.id),
  ]);
  const html = renderReportHtml(
    buildReportModel({ experiment, members, results, lineage, baselines }),
  );
  const file = outFile ?? defaultReportFile(config.checkpoints, experiment.id);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, html);
  return file;
}

/** An id stored by an older pbt is checked again before it becomes part of a path. */
function defaultReportFile(checkpoints: string, id: string): string {
  assertExperimentId(id);
  return path.join(path.dirname(checkpoints), 'reports', `${id}.html`);
}
