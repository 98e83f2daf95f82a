import { describe, expect, it } from 'vitest';
import { demoHistory } from './demo-history.js';
import { buildReportModel } from './report-model.js';
import { formatCount, formatDuration, formatTime, renderReportHtml } from './render-html.js';

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

function assertWellFormed(html: string): void {
  const stack: string[] = [];
  const body = html
    .replace(/<!doctype html>/i, '')
    .replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name = '', selfClosing] = m;
    if (selfClosing === '/' || VOID.has(name.toLowerCase())) continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
}

describe('renderReportHtml', () => {
  const input = demoHistory({ seed: 3, population: 6, budgetSteps: 600, readyEvery: 100 });
  const model = buildReportModel(input);
  const html = renderReportHtml(model);

  it('contains every section with its charts', () => {
    for (const id of [
      'summary',
      'scores',
      'hyperparameters',
      'schedule',
      'lineage',
      'comparison',
    ]) {
      expect(html).toContain(`<section id="${id}">`);
    }
    for (const heading of [
      'Summary',
      'Scores',
      'Hyperparameters',
      'Schedule of the best model',
      'Lineage',
      'PBT vs baselines',
    ]) {
      expect(html).toContain(`<h2>${heading}`);
    }
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('random search');
    expect(html).toContain('fixed hparams');
    expect(html).toContain(`m${model.summary.bestMember}`);
    assertWellFormed(html);
  });

  it('is self-contained and never prints NaN or undefined', () => {
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|@import|url\(http/i);
    // The only URL is the SVG namespace.
    expect(
      html.match(/https?:\/\/[^"\s]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg'),
    ).toBe(true);
  });

  it('escapes user-provided text', () => {
    const evil = buildReportModel({
      ...input,
      experiment: {
        ...input.experiment,
        task: '<script>alert(1)</script>',
        config: { name: 'a & b <i>' },
      },
    });
    const out = renderReportHtml(evil);
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('a &amp; b &lt;i&gt;');
    assertWellFormed(out);
  });

  it('renders an experiment that has not produced results yet', () => {
    const empty = buildReportModel({
      ...input,
      results: [],
      lineage: [],
      members: [],
      baselines: [],
    });
    const out = renderReportHtml(empty);
    expect(out).toContain('<section id="summary">');
    expect(out).not.toContain('<section id="schedule">');
    expect(out).not.toContain('<section id="comparison">');
    expect(out).not.toMatch(/NaN|undefined|Infinity/);
    assertWellFormed(out);
  });
});

describe('formatting helpers', () => {
  it('formats counts, durations and times', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatDuration(5.25)).toBe('5.3 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7380)).toBe('2 h 3 min');
    expect(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02 03:04:05 UTC');
  });
});
