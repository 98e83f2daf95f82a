import { describe, expect, it } from 'vitest';
import {
  comparisonChartSvg,
  renderComparisonHtml,
  type ComparisonView,
} from './comparison-chart.js';

const method = (m: number): ComparisonView['methods'][string] => ({
  seeds: [m - 0.01, m + 0.01],
  mean: m,
  ci95: [m - 0.1, m + 0.1],
  totalSteps: 400,
  wallSeconds: 3,
  cpuSeconds: 5,
  curve: { steps: [200, 400], mean: [m - 0.2, m], ci95: [null, [m - 0.1, m + 0.1]] },
});

const comparison: ComparisonView = {
  id: 'c1',
  task: 'toy',
  finalScore: 'validation',
  interval: 't',
  seeds: [1, 2],
  methods: { pbt: method(1.19), 'random<x>': method(1.1) },
};

describe('comparison chart', () => {
  it('draws a named line per method and its interval bars', () => {
    const svg = comparisonChartSvg(comparison);
    expect(svg).toContain('pbt (best validation so far)');
    expect(svg).toContain('random&lt;x&gt; final');
    expect(svg).not.toContain('random<x>');
  });

  it('the page lists mean, interval and per-seed scores', () => {
    const html = renderComparisonHtml(comparison);
    expect(html).toContain('<td>1.1900</td><td>1.0900 – 1.2900</td><td>1.1800, 1.2000</td>');
  });
});
