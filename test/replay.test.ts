import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperimentConfig } from '../src/engine/config/experiment-config.js';
import { scheduleOf, bestMember } from '../src/engine/core/schedule.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { scheduledHparams } from '../src/engine/worker/replay-schedule.js';
import { runCli, tempDir } from './helpers.js';

describe('pbt replay', () => {
  it("trains a fresh model on the best member's recorded schedule, and one fixed at its final hyperparameters", async () => {
    const dir = tempDir();
    const db = path.join(dir, 'pbt.db');
    const common = ['--store', `sqlite:${db}`];
    const run = await runCli(
      ['run', 'toy', '--seed', '3', '--workers', '2', '--checkpoints', 'ckpt', ...common],
      dir,
    );
    expect(run.code, run.stderr).toBe(0);
    const replay = await runCli(['replay', ...common], dir);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toMatch(/replay: score \d/);
    expect(replay.stderr).toMatch(/fixed: score \d/);

    const store = new SqliteStore(db);
    try {
      const experiments = await store.listExperiments();
      const source = experiments.find((e) => parseExperimentConfig(e.config).method === 'pbt');
      const replayed = experiments.find((e) => parseExperimentConfig(e.config).method === 'replay');
      const fixed = experiments.find((e) => parseExperimentConfig(e.config).method === 'fixed');
      if (!source || !replayed || !fixed) throw new Error('missing experiments');
      const results = await store.listResults(source.id);
      const best = bestMember(results);
      const schedule = scheduleOf(
        best?.memberId ?? -1,
        results,
        await store.listLineage(source.id),
      );
      expect(schedule.exploits.length).toBeGreaterThan(0);

      // The replay: one member, as many steps as the model had, each segment trained with the
      // hyperparameters the schedule had at its start, no exploit.
      const config = parseExperimentConfig(replayed.config);
      expect(replayed.populationSize).toBe(1);
      expect(config.budget.steps).toBe(schedule.modelSteps);
      expect(config.group).toBe(source.id);
      expect(await store.listLineage(replayed.id)).toEqual([]);
      const own = await store.listResults(replayed.id);
      expect(own.at(-1)?.step).toBe(schedule.modelSteps);
      const entries = config.schedule ?? [];
      let from = 0;
      for (const r of own) {
        expect(r.hparams).toEqual(scheduledHparams(entries, from));
        // A segment never crosses a change of hyperparameters.
        expect(entries.some((e) => e.fromStep > from && e.fromStep < r.step)).toBe(false);
        from = r.step;
      }
      for (const seg of schedule.segments) {
        expect(scheduledHparams(entries, seg.fromModelStep)).toEqual(seg.hparams);
      }

      // Fixed at the final hyperparameters, same model steps.
      const fixedConfig = parseExperimentConfig(fixed.config);
      expect(fixedConfig.budget.steps).toBe(schedule.modelSteps);
      expect(fixedConfig.fixed).toEqual(schedule.segments.at(-1)?.hparams);
    } finally {
      await store.close();
    }
  }, 120_000);
});
