/**
 * The dashboard in a real browser (playwright-core driving Debian's Chromium): a real toy run
 * with real worker processes, `pbt dashboard` as a real child process, and the page watched
 * while the run progresses. Skipped, with a message, where /usr/bin/chromium is missing
 * (`apt-get install -y chromium`). PBT_SCREENSHOTS=<dir> saves the main views there
 * (docs/images/ holds the committed ones).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberColor } from '../src/engine/dashboard/client/dom.js';
import { startDashboard } from '../src/engine/dashboard/server.js';
import { openStore } from '../src/engine/store/open-store.js';
import { SqliteStore } from '../src/engine/store/sqlite/sqlite-store.js';
import { writeSyntheticExperiment } from '../src/engine/testing/synthetic-experiment.js';
import { sleep, startCli, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const shots = process.env.PBT_SCREENSHOTS;

async function screenshot(page: Page, name: string): Promise<void> {
  if (shots === undefined) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name), fullPage: true });
}

/** The number shown in a summary card. */
async function cardValue(page: Page, id: string): Promise<number> {
  return Number(await page.locator(`#${id} .value`).textContent());
}

/**
 * Where the lineage tree's canvas shows this colour (a member's bars, an exploit dot's red), in
 * page coordinates: the middle of the first pixel whose neighbours all have it too. Null if none.
 */
async function pointOfColor(page: Page, hex: string): Promise<{ x: number; y: number } | null> {
  const canvas = page.locator('canvas.tree');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const at = await canvas.evaluate((c: HTMLCanvasElement, color: string) => {
    const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    const { width, height } = c;
    const data = c.getContext('2d')?.getImageData(0, 0, width, height).data;
    if (data === undefined) return null;
    const is = (x: number, y: number): boolean =>
      rgb.every((v, k) => data[(y * width + x) * 4 + k] === v) &&
      data[(y * width + x) * 4 + 3] === 255;
    for (let y = 1; y < height - 1; y++)
      for (let x = 1; x < width - 1; x++)
        if (is(x, y) && is(x - 1, y) && is(x + 1, y) && is(x, y - 1) && is(x, y + 1))
          return {
            x: ((x + 0.5) * c.clientWidth) / width,
            y: ((y + 0.5) * c.clientHeight) / height,
          };
    return null;
  }, hex);
  return at === null || box === null ? null : { x: box.x + at.x, y: box.y + at.y };
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

if (!existsSync(CHROMIUM)) {
  describe('dashboard in a browser', () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`, () => undefined);
  });
} else {
  describe('dashboard in a browser', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });
    afterAll(async () => {
      await browser.close();
    });

    it('follows a real run live: member count, results and the score chart update; a click in the lineage tree shows a schedule', async () => {
      const dir = tempDir('pbt-dashboard-e2e-');
      const store = `sqlite:${path.join(dir, 'pbt.db')}`;
      // ~15 s of training on two worker processes: long enough to watch it move.
      const run = startCli(
        [
          'run',
          'toy',
          '--population',
          '6',
          '--budget',
          '300',
          '--ready',
          '20',
          '--workers',
          '2',
        ].concat(['--set', 'stepMs=15', '--name', 'e2e', '--store', store]),
        dir,
      );
      // The dashboard opens the store read-only: it must exist, with the run's experiment in it.
      await waitFor('the run to create its experiment', async () => {
        if (!existsSync(path.join(dir, 'pbt.db'))) return false;
        try {
          const probe = await openStore(store, { readOnly: true });
          const n = (await probe.listExperiments()).length;
          await probe.close();
          return n > 0;
        } catch {
          return false;
        }
      });
      const dashboard = startCli(['dashboard', '--store', store, '--port', '0'], dir);
      try {
        let url = '';
        let stderr = '';
        dashboard.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        await waitFor('the dashboard to listen', () => {
          url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1] ?? '';
          return Promise.resolve(url !== '');
        });
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.locator('#experiments a').first().waitFor({ timeout: 30_000 });
        expect(await page.locator('#experiments a').first().textContent()).toBe('e2e');
        await page.locator('#experiments a').first().click();
        await page.locator('#member-count').waitFor();
        expect(await cardValue(page, 'member-count')).toBe(6);

        // The run goes on: the page must follow without a reload.
        await waitFor('a first result', async () => (await cardValue(page, 'result-count')) > 0);
        const results0 = await cardValue(page, 'result-count');
        const points0 = Number(await page.locator('#score-chart').getAttribute('data-points'));
        await waitFor(
          'more results and score points',
          async () =>
            (await cardValue(page, 'result-count')) >= results0 + 6 &&
            Number(await page.locator('#score-chart').getAttribute('data-points')) > points0,
        );
        await screenshot(page, 'dashboard-live.png');
        expect(await page.locator('#member-count .sub').textContent()).toMatch(/running/);

        // Select member 1 in the lineage tree: its ancestry highlighted, its schedule shown.
        const member1 = await pointOfColor(page, memberColor(1));
        expect(member1).not.toBeNull();
        await page.mouse.click(member1?.x ?? 0, member1?.y ?? 0);
        await page.locator('#selected-member h3').waitFor();
        expect(await page.locator('#selected-member h3').textContent()).toMatch(/^Member 1/);
        expect(
          await page.locator('#selected-member table.schedule tbody tr').count(),
        ).toBeGreaterThan(0);
        expect(await page.locator('#population tr.selected td').first().textContent()).toBe('m1');

        // Hover an exploit (a red dot), once there is one: donor, step, old -> new values,
        // explore. The tree is drawn again when an exploit arrives: find the dot, then hover.
        let tip: string | null = null;
        await waitFor('an exploit dot to hover', async () => {
          const dot = await pointOfColor(page, '#dc2626');
          if (dot === null) return false;
          await page.mouse.move(dot.x, dot.y);
          tip = await page.locator('.tip').textContent();
          return (tip ?? '').includes('←');
        });
        expect(tip).toMatch(/← m\d+/);
        expect(tip).toMatch(/explore: /);
        await screenshot(page, 'dashboard-lineage.png');

        const done = await run.result;
        expect(done.code).toBe(0);
        await waitFor(
          'the status to become done',
          async () => (await page.locator('#status').textContent()) === 'done',
        );
        expect(await cardValue(page, 'result-count')).toBe(6 * 15);
        await page.goto(url);
        await page.locator('#experiments a').first().waitFor();
        await screenshot(page, 'dashboard-list.png');
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        run.child.kill('SIGINT');
        dashboard.child.kill('SIGTERM');
        await dashboard.result;
        await run.result;
      }
    }, 180_000);

    it('shows <script> payloads in names as text and runs none of them; the report works offline', async () => {
      const dir = tempDir('pbt-dashboard-xss-');
      const file = path.join(dir, 'pbt.db');
      const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
      const writer = new SqliteStore(file);
      await writeSyntheticExperiment(writer, {
        id: 'evil',
        name: `name ${evil}`,
        task: `task ${evil}`,
        members: 4,
        results: 6,
      });
      await writer.createExperiment({
        id: 'params',
        task: 'toy',
        seed: 1,
        config: { name: 'params', space: {} },
        members: [{ [`p${evil}`]: 1, opt: evil }],
        now: 0,
      });
      await writer.close();
      const reader = await openStore(`sqlite:${file}`, { readOnly: true });
      const dashboard = await startDashboard({ store: reader, pollMs: 200 });
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      try {
        await page.goto(dashboard.url);
        await page.locator('#experiments a').first().waitFor();
        expect(await page.locator('#experiments tbody').textContent()).toContain(`name ${evil}`);
        await page.goto(`${dashboard.url}#/experiment/evil`);
        await page.locator('#member-count').waitFor();
        expect(await page.locator('header p').first().textContent()).toContain(`task ${evil}`);
        await page.goto(`${dashboard.url}#/experiment/params`);
        await page.locator('#population').waitFor();
        expect(await page.locator('#population').textContent()).toContain(evil);
        expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(await page.locator('img').count()).toBe(0);

        // The static report, from a file, with every network request refused.
        const { renderReportPage } = await import('../src/engine/dashboard/report-page.js');
        const reportFile = path.join(dir, 'report.html');
        const { writeFileSync } = await import('node:fs');
        writeFileSync(reportFile, await renderReportPage(reader, 'evil'));
        const offline = await browser.newPage();
        const requests: string[] = [];
        await offline.route('**/*', (route) => {
          if (route.request().url().startsWith('file:')) return route.continue();
          requests.push(route.request().url());
          return route.abort();
        });
        await offline.goto(`file://${reportFile}`);
        await offline.locator('#score-chart canvas').waitFor();
        expect(await offline.locator('h1').textContent()).toContain(`name ${evil}`);
        for (const id of ['scores', 'lineage', 'hyperparameters', 'schedule', 'population'])
          expect(await offline.locator(`section#${id}`).count()).toBe(1);
        // The keyboard: down the tree's rows to one of member 2's, Enter selects it.
        await offline.locator('canvas.tree').focus();
        const described = offline.locator('.tree-canvas [role=status]');
        for (let i = 0; i < 40; i++) {
          await offline.keyboard.press('ArrowDown');
          if ((await described.textContent())?.startsWith('member 2,')) break;
        }
        expect(await described.textContent()).toMatch(/^member 2, steps \d+–\d+/);
        await offline.keyboard.press('Enter');
        expect(await offline.locator('#selected-member h3').textContent()).toMatch(/^Member 2/);
        expect(await offline.evaluate(() => document.activeElement?.tagName)).toBe('CANVAS');
        expect(
          await offline.evaluate(() => (window as { __pwned?: number }).__pwned),
        ).toBeUndefined();
        expect(requests).toEqual([]);
        expect(readFileSync(reportFile, 'utf8').includes(file)).toBe(false);
        await offline.close();
        expect(dialogs).toEqual([]);
      } finally {
        await page.close();
        await dashboard.close();
        await reader.close();
      }
    }, 120_000);
  });
}
