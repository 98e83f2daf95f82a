import { describe, expect, it } from 'vitest';
import { svgLineChart } from './line-chart.js';
import { linearScale, logScale, niceStep } from './scale.js';

/** Tags balance (self-closing ones aside) and nest properly. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing === '/') continue;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else stack.push(name ?? '');
  }
  expect(stack).toEqual([]);
  // No stray angle brackets or ampersands in text.
  const text = svg.replace(/<[^>]*>/g, '');
  expect(text).not.toMatch(/[<>]/);
  expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
}

describe('svgLineChart', () => {
  it('draws every series with axes, ticks and a legend', () => {
    const svg = svgLineChart({
      title: 'Score per member',
      xLabel: 'step',
      yLabel: 'score',
      series: [
        {
          name: 'm0',
          points: [
            [0, 0.1],
            [100, 0.5],
            [200, 0.7],
          ],
        },
        {
          name: 'm1',
          points: [
            [0, 0.2],
            [100, 0.4],
            [200, 0.9],
          ],
          dashed: true,
          color: '#ff0000',
        },
      ],
      markers: [{ x: 200, y: 0.9, label: 'best' }],
    });
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const s of [
      'Score per member',
      '>step<',
      '>score<',
      '>m0<',
      '>m1<',
      '>best<',
      'stroke-dasharray',
      '#ff0000',
    ]) {
      expect(svg).toContain(s);
    }
    expect((svg.match(/<path d="M/g) ?? []).length).toBe(3); // axes + 2 series
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('escapes text', () => {
    const svg = svgLineChart({
      title: 'a <b> & "c"',
      series: [
        {
          name: 'x<y & z',
          points: [
            [1, 2],
            [2, 3],
          ],
        },
      ],
      markers: [{ x: 1, y: 2, label: '<m>' }],
    });
    assertWellFormed(svg);
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('x&lt;y &amp; z');
    expect(svg).not.toContain('<b>');
  });

  it('handles empty series, a single point and constant values without NaN', () => {
    for (const series of [
      [],
      [{ name: 'empty', points: [] }],
      [{ name: 'one', points: [[5, 5]] as [number, number][] }],
      [
        {
          name: 'flat',
          points: [
            [0, 0],
            [0, 0],
          ] as [number, number][],
        },
      ],
    ]) {
      for (const logY of [false, true]) {
        const svg = svgLineChart({ title: 't', series, logY, logX: logY });
        assertWellFormed(svg);
        expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      }
    }
    // A single point is drawn as a dot.
    expect(svgLineChart({ series: [{ name: 'one', points: [[5, 5]] }] })).toContain('<circle');
  });

  it('skips non-finite values and non-positive values on log axes by breaking the line', () => {
    const svg = svgLineChart({
      series: [
        {
          name: 'lr',
          points: [
            [0, 0.1],
            [1, Number.NaN],
            [2, 0.01],
            [3, 0],
            [4, -1],
            [5, 0.001],
            [6, 0.002],
          ],
        },
      ],
      logY: true,
    });
    assertWellFormed(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const path =
      /<path d="(M[^"]*)" fill="none" stroke="#[0-9a-f]+" stroke-width="[\d.]+" stroke-linejoin/.exec(
        svg,
      )?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(1);
    expect(path.match(/L/g)).toHaveLength(1); // only the last run [5, 6] has two points
    expect(svg.match(/<circle/g)).toHaveLength(2); // the isolated points at x=0 and x=2
    for (const label of ['>0.001<', '>0.01<', '>0.1<']) expect(svg).toContain(label);
  });

  it('draws x–y trajectories in the given order (not sorted by x)', () => {
    const svg = svgLineChart({
      series: [
        {
          name: 'path',
          points: [
            [0, 0],
            [1, 1],
            [0, 1],
            [1, 0],
          ],
        },
      ],
      width: 300,
      height: 300,
    });
    const d =
      /<path d="(M[^"]*)" fill="none" stroke="#[0-9a-f]+" stroke-width="[\d.]+" stroke-linejoin/.exec(
        svg,
      )?.[1] ?? '';
    const xs = [...d.matchAll(/[ML]([\d.]+) /g)].map((m) => Number(m[1]));
    expect(xs[0]).toBeLessThan(xs[1] ?? 0);
    expect(xs[2]).toBe(xs[0]);
    expect(xs[3]).toBe(xs[1]);
  });

  it('uses custom y ticks (categories)', () => {
    const svg = svgLineChart({
      series: [
        {
          name: 'opt',
          points: [
            [0, 0],
            [100, 1],
          ],
        },
      ],
      yTicks: [
        { value: 0, label: 'sgd' },
        { value: 1, label: 'adam' },
      ],
    });
    expect(svg).toContain('>sgd<');
    expect(svg).toContain('>adam<');
  });
});

describe('scales', () => {
  it('chooses nice linear ticks covering the data', () => {
    expect(niceStep(0.23)).toBe(0.25);
    expect(niceStep(170)).toBe(200);
    const s = linearScale([3, 97]);
    expect(s.domain[0]).toBeLessThanOrEqual(3);
    expect(s.domain[1]).toBeGreaterThanOrEqual(97);
    expect(s.ticks.map((t) => t.label)).toEqual(['0', '20', '40', '60', '80', '100']);
    expect(linearScale([0, 20000]).ticks.map((t) => t.label)).toContain('10k');
    expect(linearScale([0, 0.5]).ticks.map((t) => t.label)).toEqual([
      '0',
      '0.1',
      '0.2',
      '0.3',
      '0.4',
      '0.5',
    ]);
  });

  it('chooses decade ticks on a log scale, with 2 and 5 for short ranges', () => {
    expect(logScale([1e-5, 1e-1]).ticks.map((t) => t.label)).toEqual([
      '1e-5',
      '1e-4',
      '0.001',
      '0.01',
      '0.1',
    ]);
    expect(logScale([0.02, 0.3]).ticks.map((t) => t.value)).toEqual([0.02, 0.05, 0.1, 0.2]);
  });
});
