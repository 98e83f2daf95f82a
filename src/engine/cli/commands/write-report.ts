import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseExperimentConfig } from '../../config/experiment-config.js';
import { renderReportPage } from '../../dashboard/report-page.js';
import type { ExperimentRecord, Store } from '../../store/store.js';
import { findExperiment } from '../context.js';

/**
 * Write the HTML report of one experiment: the dashboard's page with the data inlined.
 * Baselines: the experiments named with --compare, else every other experiment of the same group.
 */
export async function writeReport(
  store: Store,
  id: string | undefined,
  compare: readonly string[] | undefined,
  outFile: string | undefined,
): Promise<string> {
  const experiment = await findExperiment(store, id);
  const config = parseExperimentConfig(experiment.config, 'stored experiment config');
  const others: ExperimentRecord[] = [];
  for (const c of compare ?? []) others.push(await findExperiment(store, c));
  const html = await renderReportPage(store, experiment.id, { compare: others });
  const file =
    outFile ?? path.join(path.dirname(config.checkpoints), 'reports', `${experiment.id}.html`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, html);
  return file;
}
