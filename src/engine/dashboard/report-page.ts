import type { ExperimentRecord, Store } from '../store/store.js';
import { DashboardData } from './data-source.js';
import { clientBundle, renderPage } from './page.js';
import { toSnapshot } from './wire.js';

/**
 * The static report: the dashboard's page with one experiment's data inlined, so the report
 * and the live view are drawn by the same code and never drift. Opens offline, from a file.
 */
export async function renderReportPage(
  store: Store,
  experimentId: string,
  options: { readonly compare?: readonly ExperimentRecord[]; readonly now?: number } = {},
): Promise<string> {
  const now = options.now ?? Date.now();
  const { snapshot } = await new DashboardData(store).open(experimentId, now, options.compare);
  const config = snapshot.experiment.config as { name?: unknown };
  const name = typeof config.name === 'string' ? config.name : snapshot.experiment.id;
  return renderPage(
    await clientBundle(),
    { kind: 'report', snapshot: toSnapshot(snapshot), generatedAt: now },
    `${name} — ${snapshot.experiment.task} — pbt report`,
  );
}
