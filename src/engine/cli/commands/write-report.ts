import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertExperimentId } from '../../core/experiment-id.js';
import { renderReportPage } from '../../dashboard/report-page.js';
import type { Experiment } from '../../store/experiments.js';
import type { Store } from '../../store/store.js';
import { findExperiment } from '../context.js';

/**
 * Build and write the HTML report of one experiment: the dashboard page with the data inlined.
 * Baselines: the experiments named with --compare, else every other experiment of the same group.
 */
export async function writeReport(
  store: Store,
  id: string | undefined,
  compare: readonly string[] | undefined,
  outFile: string | undefined,
): Promise<string> {
  const experiment = await findExperiment(store, id);
  const others: Experiment[] = [];
  for (const c of compare ?? []) others.push(await findExperiment(store, c));
  const html = await renderReportPage(store, experiment.id, { compare: others });
  const file = outFile ?? defaultReportFile(experiment.config.checkpoints, experiment.id);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, html);
  return file;
}

/** An id stored by an older pbt is checked again before it becomes part of a path. */
function defaultReportFile(checkpoints: string, id: string): string {
  assertExperimentId(id);
  return path.join(path.dirname(checkpoints), 'reports', `${id}.html`);
}
