import {
  buildLineageGraph,
  renderLineageTimeline,
  renderLineageTree,
} from '../../core/lineage-tree.js';
import { bestMember } from '../../core/schedule.js';
import type { ExperimentRecord, LineageEvent, ResultRecord } from '../../store/store.js';

/** `pbt lineage`: per-member timelines, then the exploit tree of the weights. */
export function renderLineageText(
  experiment: ExperimentRecord,
  results: readonly ResultRecord[],
  lineage: readonly LineageEvent[],
): string {
  const graph = buildLineageGraph(
    results,
    lineage,
    Array.from({ length: experiment.populationSize }, (_, i) => i),
  );
  const best = bestMember(results);
  const options = best ? { highlight: best.memberId } : {};
  return [
    `${experiment.id}: ${lineage.length} exploit${lineage.length === 1 ? '' : 's'}${best ? ` (★ best: member ${best.memberId})` : ''}`,
    '',
    'members over their own steps (⇐ donor@step: copied its weights, then explored):',
    renderLineageTimeline(graph, options),
    '',
    'exploit tree (who carries whose weights):',
    renderLineageTree(graph, options),
  ].join('\n');
}
