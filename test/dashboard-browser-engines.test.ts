import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, chromiumSkipNote } from './helpers/chromium.ts';
import { openDashboardPage } from './helpers/dashboard-page.ts';
import { DEMO, postDemoExperiment } from './helpers/demo-experiment.ts';
import { engineCases } from './helpers/engine-servers.ts';
import type { TestServer } from './helpers/test-server.ts';

/** Screenshots of the narrow pages sit next to the others (CI keeps the folder). */
const SHOTS = path.resolve(process.env.ANOLE_SCREENSHOT_DIR ?? 'artifacts/dashboard-screenshots');
/** A small laptop screen (1024 × 700 CSS pixels): nothing may need a horizontal scroll of the page. */
const NARROW = { width: 1024, height: 700 };

/**
 * The main pages on both storage engines, at a narrow laptop viewport: each page loads its data
 * from that engine (the figures equal the API's answer), shows no console error, and nothing
 * overflows the viewport horizontally (wide tables scroll inside their own region, by design). The
 * full page-by-page suite (keyboard, accessibility, import) is dashboard-browser.test.ts.
 */
for (const engine of engineCases()) {
  describe.skipIf(chromiumMissing || engine.skip !== null)(`the dashboard's main pages on ${engine.engine} at ${NARROW.width}×${NARROW.height}${chromiumSkipNote}`, () => {
    let server: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    const problems: string[] = [];

    const api = async (p: string, key = server.adminKey) => {
      const response = await fetch(`${server.url}${p}`, { headers: { Authorization: `Bearer ${key}` } });
      expect(response.status, p).toBe(200);
      return (await response.json()) as any;
    };

    const open = (p: string, key = server.adminKey): Promise<Page> => openDashboardPage(context, `${server.url}${p}`, key, problems);

    /** No element reaches past the viewport's right edge, except inside a region that scrolls itself. */
    async function expectNoHorizontalOverflow(page: Page, name: string): Promise<void> {
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const out: string[] = [];
        if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
        for (const el of document.body.querySelectorAll('*')) {
          if (el.closest('.table-scroll, .visually-hidden') || getComputedStyle(el).position === 'fixed') continue;
          const right = el.getBoundingClientRect().right;
          if (right > width + 0.5) out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} ends at ${Math.round(right)} px`);
        }
        return out.slice(0, 10);
      });
      expect(overflow, `horizontal overflow on ${name}`).toEqual([]);
      await page.screenshot({ path: path.join(SHOTS, `narrow-${engine.engine}-${name}.png`), fullPage: true });
      expect(problems, `console errors on ${name}`).toEqual([]);
    }

    beforeAll(async () => {
      server = await engine.start();
      await postDemoExperiment(server.url, server.adminKey, { persons: 400, days: 10 });
      await server.settle();
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
      context = await browser.newContext({ viewport: NARROW });
    }, 180_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.stop();
    });

    it('shows the sites, the experiments and the results with the API\'s figures', async () => {
      const page = await open('/dashboard/');
      await page.getByRole('link', { name: DEMO.site }).waitFor();
      await expectNoHorizontalOverflow(page, 'sites');

      await page.getByRole('link', { name: DEMO.site }).click();
      const row = page.locator('table.experiments tbody tr').first();
      await row.waitFor();
      const overview = await api(`/api/sites/${DEMO.site}/overview`);
      expect((await row.locator('td').nth(2).textContent())!.trim()).toBe(overview.experiments[0].units.toLocaleString('en-US'));
      await expectNoHorizontalOverflow(page, 'experiments');

      await page.getByRole('link', { name: 'Checkout button' }).click();
      await page.locator('table.results').first().waitFor();
      const answer = await api(`/api/sites/${DEMO.site}/experiments/${DEMO.experimentId}/results`);
      for (const goal of answer.goals) {
        for (const v of goal.variations) {
          const cells = page.locator(`section.goal[data-goal="${goal.goalId}"] table[data-metric="rate"] tr[data-variation="${v.variationId}"]`);
          expect((await cells.locator('[data-field="units"]').textContent())!.trim()).toBe(v.units.toLocaleString('en-US'));
          expect((await cells.locator('[data-field="conversions"]').textContent())!.trim()).toBe(v.conversions.toLocaleString('en-US'));
        }
      }
      await expect.poll(() => page.locator('figure.chart canvas').count()).toBe(3 * answer.goals.length);
      await expectNoHorizontalOverflow(page, 'results');
      await page.close();
    });

    it('shows a visitor, the live events, the settings and the import page', async () => {
      const visitor = await open(`/dashboard/sites/${DEMO.site}/visitors?visitorCode=demo-3`);
      await visitor.locator('.event').first().waitFor();
      await expectNoHorizontalOverflow(visitor, 'visitor-inspector');
      await visitor.close();

      const live = await open(`/dashboard/sites/${DEMO.site}/live`);
      await live.getByText(/Updating every 2 s/).waitFor();
      const nonce = engine.engine === 'sqlite' ? '0000000000000d01' : '0000000000000d02';
      const posted = await fetch(`${server.url}/visit/events?siteCode=${DEMO.site}&visitorCode=narrow-visitor`, { method: 'POST', body: `eventType=activity&nonce=${nonce}` });
      expect(posted.status).toBe(204);
      await live.locator(`tr[data-nonce="${nonce}"]`).waitFor({ timeout: 10_000 });
      await expectNoHorizontalOverflow(live, 'live');
      await live.close();

      const settings = await open(`/dashboard/sites/${DEMO.site}/settings`);
      await settings.getByLabel(`Name of goal ${DEMO.goals.signup}`).waitFor();
      await expectNoHorizontalOverflow(settings, 'settings');
      await settings.close();

      const importPage = await open(`/dashboard/sites/${DEMO.site}/import`);
      await importPage.getByLabel(/CSV file/).waitFor();
      await expectNoHorizontalOverflow(importPage, 'import');
      await importPage.close();
    });

    it('pages a site with more experiments than one answer holds (500), with links kept in the URL', async () => {
      const put = async (id: number) => {
        const response = await fetch(`${server.url}/api/sites/many-experiments/experiments/${id}`, {
          method: 'PUT',
          headers: { Authorization: `Bearer ${server.adminKey}` },
          body: JSON.stringify({ name: `Experiment ${id}`, variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }], referenceVariationId: 1 }),
        });
        expect(response.status).toBeLessThan(300);
      };
      await fetch(`${server.url}/visit/events?siteCode=many-experiments&visitorCode=x`, { method: 'POST', body: 'eventType=activity&nonce=0000000000000e01' });
      const ids = Array.from({ length: 503 }, (_, i) => i + 1);
      for (let i = 0; i < ids.length; i += 25) await Promise.all(ids.slice(i, i + 25).map(put));
      const page = await open('/dashboard/sites/many-experiments');
      await page.locator('table.experiments tbody tr').first().waitFor();
      expect(await page.locator('table.experiments tbody tr').count()).toBe(500);
      expect(await page.locator('table.experiments caption').textContent()).toContain('503 experiments, 1 to 500 shown');
      await page.getByRole('link', { name: 'Next 3' }).click();
      await expect.poll(() => page.locator('table.experiments tbody tr').count()).toBe(3);
      expect(new URL(page.url()).searchParams.get('page')).toBe('2');
      expect(await page.locator('table.experiments tbody th').first().textContent()).toContain('Experiment 501');
      await page.getByRole('link', { name: 'Previous 500' }).waitFor();
      await expectNoHorizontalOverflow(page, 'experiments-page-2');
      await page.close();
    });

    it('works with a site key: its own site listed, its pages readable', async () => {
      const response = await fetch(`${server.url}/api/keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({ role: 'site', siteCode: DEMO.site, label: 'narrow site key' }),
      });
      expect(response.status).toBe(201);
      const key = ((await response.json()) as { key: string }).key;
      expect((await api('/api/sites', key)).sites.map((s: any) => s.siteCode)).toEqual([DEMO.site]);
      const page = await open('/dashboard/', key);
      await page.getByRole('link', { name: DEMO.site }).click();
      await page.getByRole('link', { name: 'Checkout button' }).click();
      await page.locator('table.results').first().waitFor();
      await expectNoHorizontalOverflow(page, 'results-site-key');
      await page.close();
    });
  });
}
