import { describe, expect, it } from 'vitest';
import { heuristicAction } from './heuristic.js';
import { LunarLander } from './lunar-lander.js';
import { recordEpisode } from './record-episode.js';
import { renderEpisodeSvg } from './render-svg.js';

describe('recordEpisode + renderEpisodeSvg', () => {
  const rec = recordEpisode(new LunarLander(), heuristicAction, 1);

  it('records one frame per step plus the reset frame', () => {
    expect(rec.frames.length).toBe(rec.actions.length + 1);
    expect(rec.rewards.length).toBe(rec.actions.length);
    expect(rec.totalReward).toBeCloseTo(
      rec.rewards.reduce((a, b) => a + b, 0),
      9,
    );
  });

  it('animates hull and legs through every frame', () => {
    const svg = renderEpisodeSvg(rec, { title: 'a < b & "c"' });
    expect(svg.startsWith('<svg')).toBe(true);
    // Translate and rotate for each of the 3 bodies.
    expect(svg.match(/<animateTransform/g)?.length).toBe(6);
    const values = /type="translate" values="([^"]*)"/.exec(svg)?.[1] ?? '';
    expect(values.split(';').length).toBe(rec.frames.length);
    expect(svg).toContain(`dur="${rec.frames.length / 50}s"`);
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
  });

  it('draws a single static frame on request', () => {
    const svg = renderEpisodeSvg(rec, { frame: 10 });
    expect(svg).not.toContain('animateTransform');
    expect(svg.match(/<polygon/g)?.length).toBe(1 + 2 + 3); // ground, 2 flags, hull + 2 legs
  });
});
