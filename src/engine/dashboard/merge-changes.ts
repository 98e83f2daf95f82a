import type { ExperimentChanges, ExperimentData } from './wire.js';

/**
 * An experiment's records with the changes of one update applied: members replaced by id, new
 * results and lineage events appended (lineage kept in id order: a late commit can arrive
 * after a higher id). Pure; the server keeps its cached snapshot current with it and the page
 * its state.
 */
export function mergeChanges(data: ExperimentData, changes: ExperimentChanges): ExperimentData {
  let members = data.members;
  if (changes.members.length > 0) {
    const byId = new Map(data.members.map((m) => [m.id, m]));
    for (const m of changes.members) byId.set(m.id, m);
    members = [...byId.values()].sort((a, b) => a.id - b.id);
  }
  const lineage =
    changes.lineage.length > 0
      ? [...data.lineage, ...changes.lineage].sort((a, b) => a.id - b.id)
      : data.lineage;
  return {
    ...data,
    experiment: { ...data.experiment, status: changes.status },
    members,
    results: changes.results.length > 0 ? [...data.results, ...changes.results] : data.results,
    lineage,
  };
}
