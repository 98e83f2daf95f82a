import cliProgress from 'cli-progress';
import type { MemberRecord } from '../store/store.js';

export interface ProgressSnapshot {
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly membersDone: number;
  readonly membersFailed: number;
  readonly population: number;
  readonly bestScore: number | null;
  readonly bestMember: number | null;
}

/**
 * `plannedSteps`: the run's exact total when it is known in advance and is not population ×
 * budget (ASHA: most configurations stop at a low rung); otherwise the total is each unfinished
 * member's full budget.
 */
export function progressOf(
  members: readonly MemberRecord[],
  budget: number,
  plannedSteps?: number,
): ProgressSnapshot {
  let best: MemberRecord | null = null;
  for (const m of members) {
    if (
      m.score !== null &&
      m.status !== 'failed' &&
      (best === null || m.score > (best.score ?? -Infinity))
    )
      best = m;
  }
  return {
    stepsDone: members.reduce((s, m) => s + Math.min(m.step, budget), 0),
    // A member that finished early (ASHA retired it, or it failed) needs no more steps.
    stepsTotal:
      plannedSteps ??
      members.reduce(
        (s, m) =>
          s + (m.status === 'done' || m.status === 'failed' ? Math.min(m.step, budget) : budget),
        0,
      ),
    membersDone: members.filter((m) => m.status === 'done').length,
    membersFailed: members.filter((m) => m.status === 'failed').length,
    population: members.length,
    bestScore: best?.score ?? null,
    bestMember: best?.id ?? null,
  };
}

export const formatScore = (s: number | null): string =>
  s === null
    ? '—'
    : Math.abs(s) >= 1000 || (Math.abs(s) < 1e-3 && s !== 0)
      ? s.toExponential(3)
      : s.toFixed(4);

/**
 * Progress of a run: a bar on a terminal, a line every few seconds otherwise (logs, CI).
 * ETA comes from the step rate since the display started.
 */
export class ProgressDisplay {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = Date.now();
  private startSteps: number | null = null;
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly lineEveryMs = 5000,
  ) {
    this.bar = out.isTTY
      ? new cliProgress.SingleBar(
          {
            format: `${label} {bar} {percentage}% | {value}/{total} steps | members {membersDone}/{population} done | best {best} | ETA {etaText}`,
            stream: out,
            hideCursor: true,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  update(p: ProgressSnapshot): void {
    this.startSteps ??= p.stepsDone;
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = (p.stepsDone - this.startSteps) / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? (p.stepsTotal - p.stepsDone) / rate : null;
    const best =
      p.bestMember === null ? '—' : `${formatScore(p.bestScore)} (member ${p.bestMember})`;
    const fields = {
      membersDone: p.membersDone,
      population: p.population,
      best,
      etaText: formatDuration(eta),
    };
    if (this.bar) {
      if (!this.bar.isActive) this.bar.start(p.stepsTotal, p.stepsDone, fields);
      this.bar.update(p.stepsDone, fields);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= this.lineEveryMs || p.stepsDone === p.stepsTotal) {
      this.lastLine = now;
      const pct = ((100 * p.stepsDone) / Math.max(p.stepsTotal, 1)).toFixed(0);
      this.out.write(
        `${this.label} ${pct}% ${p.stepsDone}/${p.stepsTotal} steps, members ${p.membersDone}/${p.population} done` +
          `${p.membersFailed > 0 ? `, ${p.membersFailed} failed` : ''}, best ${best}, ETA ${formatDuration(eta)}\n`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
