import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, chromiumSkipNote } from './helpers/chromium.ts';
import { openDashboardPage } from './helpers/dashboard-page.ts';
import { DEMO, postDemoExperiment } from './helpers/demo-experiment.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** Screenshots of every page; CI keeps this folder (see .ci/run). */
const SHOTS = path.resolve(process.env.ANOLE_SCREENSHOT_DIR ?? 'artifacts/dashboard-screenshots');
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DAY = 86_400_000;

/** A number as the page shows it: "1,234.50", "+14.6%", "−3.2%", "< 0.0001", "p 0.4978". */
function shown(text: string): number {
  const clean = text.replace(/[−–]/g, '-').replace(/[,\s]|^p/g, '').replace('<', '');
  const percent = clean.endsWith('%');
  const value = Number(percent ? clean.slice(0, -1) : clean);
  if (!Number.isFinite(value)) throw new Error(`not a number on the page: ${JSON.stringify(text)}`);
  return percent ? value / 100 : value;
}

/** The page shows `value` rounded to the digits it prints: equal within half of the last one. */
function expectShown(text: string, value: number, what: string): void {
  const digits = (text.replace(/%$/, '').split('.')[1] ?? '').replace(/[^0-9]/g, '').length + (text.trim().endsWith('%') ? 2 : 0);
  if (text.includes('<')) {
    expect(value, what).toBeLessThan(shown(text));
    return;
  }
  expect(Math.abs(shown(text) - value), `${what}: page shows ${text}, API says ${value}`).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-12);
}

describe.skipIf(chromiumMissing)(`the dashboard in headless Chromium${chromiumSkipNote}`, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  const problems: string[] = [];
  let readKey = '';
  let otherSiteKey = '';

  const newKey = async (body: object): Promise<string> => {
    const response = await fetch(`${server.url}/api/keys`, { method: 'POST', headers: { Authorization: `Bearer ${server.adminKey}` }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return ((await response.json()) as { key: string }).key;
  };

  const api = async (p: string) => {
    const response = await fetch(`${server.url}${p}`, { headers: { Authorization: `Bearer ${server.adminKey}` } });
    expect(response.status, p).toBe(200);
    return (await response.json()) as any;
  };

  /** A page already signed in (the key in this tab's session storage), collecting console errors. */
  async function open(p: string, { signedIn = true, key = server.adminKey } = {}): Promise<Page> {
    return openDashboardPage(context, `${server.url}${p}`, signedIn ? key : null, problems);
  }

  async function check(page: Page, name: string): Promise<void> {
    await page.evaluate(AXE);
    const result = (await page.evaluate(() => (window as any).axe.run(document, { resultTypes: ['violations'] }))) as {
      violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
    };
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
    expect(problems, `console errors on ${name}`).toEqual([]);
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    await postDemoExperiment(server.url, server.adminKey, { persons: 900, days: 14 });
    await server.settle();
    // Keys of the other roles, made through the keys API as an operator would.
    await fetch(`${server.url}/visit/events?siteCode=other-site&visitorCode=x`, { method: 'POST', body: 'eventType=activity&nonce=00000000000000ff' });
    readKey = await newKey({ role: 'read', label: 'dashboard test reader' });
    otherSiteKey = await newKey({ role: 'site', siteCode: 'other-site', label: 'another site' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    // A laptop's screen: wide tables scroll inside their region.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('signs in with the key, keeps it for the tab only, and refuses a wrong one', async () => {
    const page = await open(`/dashboard/sites/${DEMO.site}`, { signedIn: false });
    await page.getByLabel('API key').fill('not-the-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#key-error').textContent()).toContain('does not accept this key');
    problems.length = 0; // the 401 of the wrong key is logged by Chromium as a failed request
    await check(page, 'sign-in');
    await page.getByLabel('API key').fill(server.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the visitor was going.
    await page.getByRole('heading', { name: /Experiments/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/dashboard/sites/${DEMO.site}`);
    expect(await page.evaluate(() => sessionStorage.getItem('anole.apiKey'))).toBe(server.adminKey);
    expect(await context.cookies()).toEqual([]);
    await page.reload();
    await page.getByRole('heading', { name: /Experiments/ }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('anole.apiKey'))).toBeNull();
    await page.close();
  });

  it('lists the sites, and a site\'s experiments with status, days, units, freshness and health', async () => {
    const sites = await open('/dashboard/');
    await sites.getByRole('link', { name: DEMO.site }).waitFor();
    await check(sites, 'sites');
    await sites.getByRole('link', { name: DEMO.site }).click();
    const row = sites.locator('table.experiments tbody tr').first();
    await row.waitFor();
    const overview = await api(`/api/sites/${DEMO.site}/overview`);
    const e = overview.experiments[0];
    const cells = await row.locator('td').allTextContents();
    expect(await row.locator('th').textContent()).toContain('Checkout button');
    expect(cells[0]).toBe('running');
    expect(cells[1]).toBe(String(e.daysRunning));
    expect(cells[2]).toBe(e.units.toLocaleString('en-US'));
    expect(cells[4]).toMatch(/ (s|min|h|days) ago$/);
    expect(cells[7]).toBe('healthy');
    expect(await sites.locator('.freshness').textContent()).toMatch(/Latest event received: \d+ s ago/);
    await check(sites, 'experiments');
    await sites.close();
  });

  for (const query of [{ level: 'visitor', confidence: '0.95' }, { level: 'visit', confidence: '0.99', goal: String(DEMO.goals.purchase) }]) {
    it(`shows the results API's figures (${JSON.stringify(query)})`, async () => {
      const search = new URLSearchParams({ ...(query.level === 'visit' ? { level: 'visit' } : {}), ...(query.confidence !== '0.95' ? { confidence: query.confidence } : {}), ...(query.goal ? { goal: query.goal } : {}) });
      const started = Date.now();
      const page = await open(`/dashboard/sites/${DEMO.site}/experiments/${DEMO.experimentId}${search.size > 0 ? `?${search}` : ''}`);
      await page.locator('table.results').first().waitFor();
      const renderMs = Date.now() - started;
      const answer = await api(`/api/sites/${DEMO.site}/experiments/${DEMO.experimentId}/results?level=${query.level}&confidence=${query.confidence}${query.goal ? `&goalId=${query.goal}` : ''}`);
      expect(await page.locator('section.goal').count()).toBe(answer.goals.length);
      for (const goal of answer.goals) {
        const section = page.locator(`section.goal[data-goal="${goal.goalId}"]`);
        for (const v of goal.variations) {
          const rate = section.locator(`table[data-metric="rate"] tr[data-variation="${v.variationId}"]`);
          const cell = async (field: string, table = rate) => (await table.locator(`[data-field="${field}"]`).first().textContent())!.trim();
          const at = `goal ${goal.goalId} variation ${v.variationId}`;
          expect(await cell('units'), at).toBe(v.units.toLocaleString('en-US'));
          expect(await cell('convertedUnits'), at).toBe(v.convertedUnits.toLocaleString('en-US'));
          expect(await cell('conversions'), at).toBe(v.conversions.toLocaleString('en-US'));
          expectShown(await cell('conversionRate'), v.conversionRate, `${at} rate`);
          if (!v.comparison) {
            expect(await rate.locator('.reference-note').count()).toBe(1);
            continue;
          }
          const f = v.comparison.conversionRate.frequentist;
          const improvementText = (await rate.locator('[data-field="improvement"] > span').first().textContent())!;
          expectShown(improvementText, f.relativeImprovement.value, `${at} improvement`);
          const [low, high] = (await cell('interval')).replace(/[[\]]/g, '').split(', ');
          expectShown(low!, f.relativeInterval.value.lower, `${at} interval low`);
          expectShown(high!, f.relativeInterval.value.upper, `${at} interval high`);
          expectShown((await rate.locator('[data-field="reliability"] > span').first().textContent())!, f.reliability.value, `${at} reliability`);
          expectShown(await cell('pValue'), f.pValue.value, `${at} p-value`);
          expectShown(await cell('probabilityToBeat'), v.comparison.conversionRate.probabilityToBeat.value, `${at} chance to beat`);
          const bar = rate.locator('svg.interval-bar');
          const verdict = f.relativeInterval.value.lower > 0 ? 'up' : f.relativeInterval.value.upper < 0 ? 'down' : 'flat';
          expect(await bar.getAttribute('class')).toBe(`interval-bar ${verdict}`);
          if (query.level === 'visit') expect(await rate.textContent()).toContain('visitor level only');
          else expectShown((await rate.locator('[data-field="cuped"] > span').first().textContent())!, v.comparison.conversionRate.cuped.relativeImprovement.value, `${at} CUPED`);
        }
        if (goal.kind === 'revenue') {
          for (const v of goal.variations) {
            const row = section.locator(`table[data-metric="revenue"] tr[data-variation="${v.variationId}"]`);
            expectShown((await row.locator('[data-field="revenue"]').textContent())!, v.revenue, 'revenue');
            expectShown((await row.locator('[data-field="revenuePerUnit"]').textContent())!, v.revenuePerUnit, 'revenue per unit');
          }
        }
      }
      // Charts: three per goal, drawn by uPlot.
      await expect.poll(() => page.locator('figure.chart canvas').count()).toBe(3 * answer.goals.length);
      // The options are in the URL, and the controls reflect them.
      expect(await page.locator(`input[name="level"][value="${query.level}"]`).isChecked()).toBe(true);
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export the tables as CSV' }).click();
      const file = await (await download).path();
      const lines = fs.readFileSync(file, 'utf8').trim().split('\r\n');
      const header = lines[0]!.split(',');
      expect(header.slice(0, 16)).toEqual([
        'level', 'unit', 'confidence', 'goal_id', 'goal', 'goal_kind', 'metric', 'variation_id', 'variation', 'reference',
        'units', 'converted_units', 'conversions', 'conversion_rate', 'revenue', 'revenue_per_unit',
      ]);
      const rowsOf = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((cell, i) => [header[i], cell])));
      // One row per goal, table and variation, as on the page.
      const tables = answer.goals.reduce((n: number, g: any) => n + g.variations.length * (g.kind === 'revenue' || g.variations.some((v: any) => v.revenue !== 0) ? 2 : 1), 0);
      expect(rowsOf.length).toBe(tables);
      for (const goal of answer.goals) {
        for (const v of goal.variations) {
          const rate = rowsOf.find((r) => r.goal_id === String(goal.goalId) && r.metric === 'conversion_rate' && r.variation_id === String(v.variationId))!;
          expect(rate).toMatchObject({ level: query.level, unit: query.level === 'visit' ? 'visit' : 'person', confidence: query.confidence, units: String(v.units), converted_units: String(v.convertedUnits), conversions: String(v.conversions) });
          expect(Number(rate.conversion_rate)).toBeCloseTo(v.conversionRate, 12);
          if (v.comparison) {
            expect(Number(rate.improvement)).toBeCloseTo(v.comparison.conversionRate.frequentist.relativeImprovement.value, 12);
            expect(Number(rate.sequential_interval_low)).toBeCloseTo(v.comparison.conversionRate.sequential.relativeInterval.value.lower, 12);
          }
          const revenue = rowsOf.find((r) => r.goal_id === String(goal.goalId) && r.metric === 'revenue_per_unit' && r.variation_id === String(v.variationId));
          if (revenue) expect(Number(revenue.revenue)).toBeCloseTo(v.revenue, 9);
        }
      }
      if (query.level === 'visitor') {
        console.log(`results page rendered in ${renderMs} ms (load, API, tables) with ${answer.health.persons} persons`);
        await check(page, 'results');
      } else {
        await check(page, 'results-visit-level');
      }
      await page.close();
    });
  }

  it('changes the results view from the keyboard, and every option lands in the URL', async () => {
    const page = await open(`/dashboard/sites/${DEMO.site}/experiments/${DEMO.experimentId}`);
    await page.locator('table.results').first().waitFor();
    await page.locator('input[name="level"][value="visitor"]').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => new URL(page.url()).searchParams.get('level')).toBe('visit');
    await page.getByLabel('Goal', { exact: true }).selectOption(String(DEMO.goals.signup));
    await expect.poll(() => new URL(page.url()).searchParams.get('goal')).toBe(String(DEMO.goals.signup));
    await expect.poll(() => page.locator('section.goal').count()).toBe(1);
    await page.locator('input[name="chart"][value="daily"]').check();
    await expect.poll(() => new URL(page.url()).searchParams.get('chart')).toBe('daily');
    await page.getByText('Converted units per day').first().waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows an offline conversion posted a moment before in the visitor inspector, and why it counted', async () => {
    const before = await api(`/api/sites/${DEMO.site}/visitor?visitorCode=demo-7`);
    const exposure = before.experiments[0].firstExposure as number;
    const time = Math.min(Date.now() - 60_000, exposure + DAY);
    const response = await fetch(`${server.url}/visit/events?siteCode=${DEMO.site}&visitorCode=demo-7&json=true`, {
      method: 'POST',
      body: JSON.stringify([{ nonce: 'a2bb4d22083348ef', eventType: 'CONVERSION', goalId: DEMO.goals.purchase, revenue: 23.5, time }]),
    });
    expect(response.status).toBe(204);
    const page = await open(`/dashboard/sites/${DEMO.site}/visitors`);
    await page.getByLabel('Value').fill('demo-7');
    await page.getByRole('button', { name: 'Inspect' }).click();
    const row = page.locator('tr[data-nonce="a2bb4d22083348ef"]');
    await row.waitFor();
    expect(new URL(page.url()).searchParams.get('visitorCode')).toBe('demo-7');
    const text = (await row.textContent())!;
    expect(text).toContain('23.50');
    expect(text).toContain('yes');
    expect(text).toContain('counted: it falls between the start of an exposed visit and the end of that exposure\'s attribution window');
    expect(await page.locator('.event .verdict.counted').first().textContent()).toContain('counted for Checkout button');
    await check(page, 'visitor-inspector');
    await page.close();
  });

  it('shows a newly posted event on the live page, by itself', async () => {
    const page = await open(`/dashboard/sites/${DEMO.site}/live`);
    await page.getByText(/Updating every 2 s/).waitFor();
    const response = await fetch(`${server.url}/visit/events?siteCode=${DEMO.site}&visitorCode=live-visitor-1`, {
      method: 'POST',
      body: `eventType=conversion&goalId=${DEMO.goals.signup}&revenue=0&nonce=0000000000000c01`,
    });
    expect(response.status).toBe(204);
    const row = page.locator('tr[data-nonce="0000000000000c01"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('live-visitor-1');
    await page.getByLabel('Type', { exact: true }).selectOption('conversion');
    await expect.poll(() => new URL(page.url()).searchParams.get('type')).toBe('conversion');
    await row.waitFor();
    await check(page, 'live');
    await page.close();
  });

  it('says what is wrong on an unknown site or page', async () => {
    const page = await open('/dashboard/sites/no-such-site');
    await page.getByRole('alert').getByText('Not found').waitFor();
    problems.length = 0; // Chromium logs the 404 answer as a failed request
    const missing = await open('/dashboard/nowhere/at/all');
    await missing.getByRole('heading', { name: 'No such page' }).waitFor();
    await check(missing, 'not-found');
    await page.close();
    await missing.close();
  });

  it('edits the settings: goal names, site rules and experiments, through the API', async () => {
    const page = await open(`/dashboard/sites/${DEMO.site}/settings`);
    await page.getByLabel(`Name of goal ${DEMO.goals.signup}`).waitFor();
    await check(page, 'settings');
    await page.getByLabel(`Name of goal ${DEMO.goals.signup}`).fill('Newsletter');
    await page.locator('tr', { has: page.getByLabel(`Name of goal ${DEMO.goals.signup}`) }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').first().waitFor();
    expect((await api(`/api/sites/${DEMO.site}/goals`)).goals.find((g: any) => g.id === DEMO.goals.signup).name).toBe('Newsletter');
    await page.getByLabel('Late-event horizon (days)').fill('20');
    await page.getByRole('button', { name: 'Save site settings' }).click();
    await page.locator('form.settings .saved').waitFor();
    expect((await api(`/api/sites/${DEMO.site}`)).settings.lateEventHorizonMs).toBe(20 * DAY);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works with a read key, and says so when a key lacks the right', async () => {
    const reader = await open(`/dashboard/sites/${DEMO.site}/experiments/${DEMO.experimentId}`, { key: readKey });
    await reader.locator('table.results').first().waitFor();
    await reader.goto(`${server.url}/dashboard/sites/${DEMO.site}/settings`);
    await reader.getByLabel('Late-event horizon (days)').fill('21');
    await reader.getByRole('button', { name: 'Save site settings' }).click();
    await reader.getByText('This key may only read; changing settings needs an admin key.').waitFor();
    expect((await api(`/api/sites/${DEMO.site}`)).settings.lateEventHorizonMs).toBe(20 * DAY);
    problems.length = 0; // Chromium logs the refused PATCH as a failed request
    const outsider = await open(`/dashboard/sites/${DEMO.site}/experiments/${DEMO.experimentId}`, { key: otherSiteKey });
    await outsider.getByRole('heading', { name: 'This key may not do that' }).waitFor();
    expect(await outsider.getByRole('link', { name: 'Sign in with another key' }).count()).toBe(1);
    problems.length = 0;
    await check(outsider, 'forbidden');
    await reader.close();
    await outsider.close();
  });

  it('imports a CSV through the page: columns, a dry-run preview, progress, a summary, rejected rows, and its rows stored once', async () => {
    const now = Date.now();
    const csv = [
      'order_id,visitor_code,amount,purchased_at',
      ...[10, 11, 12, 13, 14].map((n, i) => `A-${n},demo-${n},${(19.5 + i).toFixed(2)},${new Date(now - (i + 1) * 3_600_000).toISOString()}`),
      'A-99,demo-15,twelve,' + new Date(now - 3_600_000).toISOString(),
    ].join('\n') + '\n';
    const file = path.join(SHOTS, '..', 'dashboard-import.csv');
    fs.writeFileSync(file, csv);
    const page = await open(`/dashboard/sites/${DEMO.site}/import`);
    await page.setInputFiles('#import-file', file);
    await page.getByLabel('Goal id (for rows without a goal column)').fill(String(DEMO.goals.purchase));
    await page.getByLabel('Order id column (nonces derive from it)').selectOption('order_id');
    await page.getByRole('button', { name: /Preview the first/ }).click();
    await page.getByRole('heading', { name: 'The first rows, checked' }).waitFor();
    expect(await page.locator('[data-field="accepted"]').first().textContent()).toBe('5');
    expect(await page.locator('[data-field="rejected"]').first().textContent()).toContain('1');
    expect(await page.locator('table.preview tbody tr.not-counted').count()).toBe(1);
    await check(page, 'import');
    await page.getByRole('button', { name: /^Import / }).click();
    await page.getByRole('heading', { name: 'Imported' }).waitFor();
    const stored = async () => Number(await page.locator('section.card').last().locator('[data-field="accepted"]').textContent());
    expect(await stored()).toBe(5);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /Download the 1 rejected rows/ }).click();
    expect(fs.readFileSync(await (await download).path(), 'utf8')).toContain('A-99');
    // The same file again: every row is a duplicate, nothing is stored twice.
    await page.getByRole('button', { name: /^Import / }).click();
    await expect.poll(async () => page.locator('section.card').last().locator('[data-field="duplicate"]').textContent()).toBe('5');
    expect(await stored()).toBe(0);
    const inspected = await api(`/api/sites/${DEMO.site}/visitor?visitorCode=demo-12`);
    expect(inspected.visits.flatMap((v: any) => v.events).filter((e: any) => e.type === 'conversion' && e.data.revenue === 21.5)).toHaveLength(1);
    expect(problems).toEqual([]);
    await page.close();
  });
});
