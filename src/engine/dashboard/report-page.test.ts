import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory/memory-store.js';
import { writeSyntheticExperiment } from '../testing/synthetic-experiment.js';
import { renderReportPage } from './report-page.js';
import { jsonForHtml, redactPaths } from './wire.js';

const EVIL = '</script><script>window.__pwned=1</script><!--';

describe('renderReportPage (pbt report)', () => {
  it('is the dashboard page with the data inlined: offline, no external resource', async () => {
    const store = new MemoryStore();
    await writeSyntheticExperiment(store, { id: 'pbt', members: 6, results: 5, group: 'g' });
    await writeSyntheticExperiment(store, {
      id: 'rnd',
      members: 6,
      results: 5,
      group: 'g',
      method: 'random',
    });
    const html = await renderReportPage(store, 'pbt', { now: 0 });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/\ssrc=|<link|@import|url\(https?:|https?:\/\/(?!www\.w3\.org)/i);
    const data = /<script type="application\/json" id="pbt-data">([\s\S]*?)<\/script>/.exec(
      html,
    )?.[1];
    const parsed = JSON.parse(data ?? '') as {
      snapshot: { results: { member: unknown[] }; baselines: { label: string }[] };
    };
    expect(parsed.snapshot.results.member).toHaveLength(30);
    // The same group's experiments come along as baselines.
    expect(parsed.snapshot.baselines.map((b) => b.label)).toEqual(['random (rnd)']);
  });

  it('escapes every user string: no payload can close the data element', async () => {
    const store = new MemoryStore();
    await store.createExperiment({
      id: 'evil',
      task: EVIL,
      seed: 1,
      config: {
        name: EVIL,
        store: 'postgres://u:hunter2@h/db',
        checkpoints: '/home/me/private/ck',
      },
      members: [{ [EVIL]: 0.1, opt: EVIL }],
      now: 0,
    });
    const html = await renderReportPage(store, 'evil', { now: 0 });
    // (booleans: a failing match would print the whole page)
    expect(html.includes('<script>window.__pwned')).toBe(false);
    expect(html.includes('<!--')).toBe(false);
    expect(html.includes('hunter2')).toBe(false);
    expect(html.includes('/home/me')).toBe(false);
    expect(html.match(/<script/g)).toHaveLength(2);
    // The title is escaped too, and the data reads back exactly.
    expect(html.includes('<title>&lt;/script&gt;&lt;script&gt;')).toBe(true);
    const data = /id="pbt-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const parsed = JSON.parse(data) as { snapshot: { experiment: { task: string } } };
    expect(parsed.snapshot.experiment.task).toBe(EVIL);
  });
});

describe('wire helpers', () => {
  it('jsonForHtml leaves no <, > or & and reads back the same value', () => {
    const value = { a: EVIL, b: 'x & y', c: '\u2028' };
    const json = jsonForHtml(value);
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('redactPaths keeps file names but not where they are', () => {
    expect(redactPaths('ENOENT: open /srv/data/cifar/train.bin')).toBe('ENOENT: open …/train.bin');
    expect(redactPaths('at run (C:\\Users\\me\\task.ts:3:1)')).toBe('at run (…/task.ts:3:1)');
    expect(redactPaths('lr 1/2 of max')).toBe('lr 1/2 of max');
  });
});
