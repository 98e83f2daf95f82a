/**
 * The screenshots in docs/images/: a real toy run (population 10, two worker processes) watched
 * in headless Chromium — the live view mid-run, the lineage tree with a member selected and an
 * exploit hovered, and the experiment list with the run's baselines.
 *
 *   node --import tsx bench/dashboard-screenshots.ts [--out docs/images]
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startCli } from '../test/helpers.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/images' } } });
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(path.join(os.tmpdir(), 'pbt-shots-'));
const store = `sqlite:${path.join(dir, 'pbt.db')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const run = startCli(
  ['run', 'toy', '--population', '10', '--budget', '400', '--ready', '20', '--workers', '2']
    .concat(['--set', 'stepMs=6', '--name', 'toy-demo', '--group', 'demo', '--store', store])
    .concat(['--baselines', 'random']),
  dir,
);
await sleep(4000);
const dashboard = startCli(['dashboard', '--store', store, '--port', '0'], dir);
let url = '';
let stderr = '';
dashboard.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
while (url === '') {
  await sleep(200);
  url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1] ?? '';
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(url);
await page.locator('#experiments a').first().click();
const steps = async (): Promise<number> =>
  Number(await page.locator('#step-count .value').textContent());
while ((await steps()) < 2000) await sleep(500);
await page.screenshot({ path: path.join(out, 'dashboard-live.png'), fullPage: true });
const row = page.locator('#population tbody tr').first();
await row.click();
await page.locator('#lineage').scrollIntoViewIfNeeded();
const dot = page.locator('svg.tree .exploit-dot').first();
if ((await dot.count()) > 0) await dot.hover();
await page.locator('#lineage').screenshot({ path: path.join(out, 'dashboard-lineage.png') });
await run.result;
await sleep(3000);
await page.goto(url);
await page.locator('#experiments a').first().waitFor();
await sleep(2500);
await page.screenshot({ path: path.join(out, 'dashboard-list.png') });
await browser.close();
dashboard.child.kill('SIGTERM');
await dashboard.result;
console.log(`screenshots in ${out}`);
