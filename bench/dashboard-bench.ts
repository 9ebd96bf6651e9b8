/**
 * `npm run bench:dashboard`: how soon the results page is usable in headless Chromium with many
 * exposed persons, against a baseline measured in the same run: the results API's own answer time
 * for the same query (the page cannot be faster than the figures it shows). Also what a first visit
 * downloads, compressed as sent.
 *
 *   npm run bench:dashboard                  # 1,000,000 persons (~2.4M events)
 *   npm run bench:dashboard -- --quick       # 50,000 persons
 *   flags: --persons=N --days=N --visits=N --connections=N --catch-up-minutes=N
 *
 * The server runs on 127.0.0.1 in a temporary directory that is removed at the end; every phase is
 * bounded in time.
 */
import os from 'node:os';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium.ts';
import { DEMO, postDemoExperiment } from '../test/helpers/demo-experiment.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { parseArgs, positive } from './bench-args.ts';
import { startServerProcess } from './server-process.ts';

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === 'true';
const persons = Math.floor(positive(args.persons, quick ? 50_000 : 1_000_000, '--persons'));
const days = Math.floor(positive(args.days, 28, '--days'));
const visits = Math.floor(positive(args.visits, 5, '--visits'));
const connections = Math.floor(positive(args.connections, 4, '--connections'));
const catchUpMs = positive(args['catch-up-minutes'], 30, '--catch-up-minutes') * 60_000;
const KEY = 'bench-dashboard-admin-key-0123456789';

const loadAvg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function results(port: number): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/api/sites/${DEMO.site}/experiments/${DEMO.experimentId}/results`, { headers: { Authorization: `Bearer ${KEY}` } });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`results: ${response.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - started, body };
}

/** One visit of the results page: until the tables are on screen, then until every chart is drawn. */
async function visit(context: BrowserContext, url: string, goals: number) {
  const page = await context.newPage();
  const bytes = { assets: 0, api: 0, requests: 0 };
  page.on('requestfinished', async (request) => {
    const sizes = await request.sizes();
    bytes.requests += 1;
    if (new URL(request.url()).pathname.startsWith('/api/')) bytes.api += sizes.responseBodySize + sizes.responseHeadersSize;
    else bytes.assets += sizes.responseBodySize + sizes.responseHeadersSize;
  });
  // The page's own clock at the moment the first results table enters the document.
  await page.addInitScript(
    "new MutationObserver((_, o) => { if (document.querySelector('table.results')) { window.__tablesAt = performance.now(); o.disconnect(); } }).observe(document, { childList: true, subtree: true });",
  );
  const started = performance.now();
  await page.goto(url);
  await page.locator('table.results').first().waitFor({ timeout: 60_000 });
  const tables = performance.now() - started;
  // Where the time went, from the page's own clock (ms since its navigation started).
  // A string, not a function: tsx would wrap the function's inner helpers in a __name() the page lacks.
  const phases = (await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const end = (part) => Math.max(0, ...res.filter((r) => r.name.includes(part)).map((r) => r.responseEnd));
    const api = res.find((r) => r.name.includes('/api/') && r.name.includes('/results'));
    return { html: nav.responseEnd, app: end('/assets/app.js'), pageModule: end('/pages/results.js'), apiStart: api ? api.startTime : 0, apiEnd: api ? api.responseEnd : 0, tables: window.__tablesAt };
  })()`)) as Record<'html' | 'app' | 'pageModule' | 'apiStart' | 'apiEnd' | 'tables', number>;
  await page.waitForFunction((n) => document.querySelectorAll('figure.chart canvas').length >= n, 3 * goals, { timeout: 60_000 });
  const charts = performance.now() - started;
  await page.waitForLoadState('networkidle');
  await page.close();
  return { tables, charts, bytes, phases };
}

async function main(): Promise<void> {
  const temp = makeTempDir('anole-bench-dashboard-');
  const server = await startServerProcess(temp.dir, { ANOLE_ADMIN_KEY: KEY });
  try {
    console.log(`bench:dashboard — ${persons.toLocaleString('en-US')} persons over ${days} days; load average ${loadAvg()}`);
    const fillStart = performance.now();
    const events = await postDemoExperiment(`http://127.0.0.1:${server.port}`, KEY, { persons, days, connections });
    console.log(`fill: ${events.toLocaleString('en-US')} events in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
    const deadline = Date.now() + catchUpMs;
    for (;;) {
      const { body } = await results(server.port);
      if (body.pendingRecomputations === 0 && body.health.persons === persons) break;
      if (Date.now() > deadline) throw new Error(`the worker did not catch up in time: ${body.pendingRecomputations} pending, ${body.health.persons} persons`);
      await sleep(2_000);
    }
    console.log(`caught up ${((performance.now() - fillStart) / 1000).toFixed(1)} s after the fill began; load average ${loadAvg()}`);

    // Baseline: the API alone, warm, same query as the page's first request.
    for (let i = 0; i < 5; i++) await results(server.port);
    const api: number[] = [];
    let answer: any = null;
    for (let i = 0; i < 20; i++) {
      const r = await results(server.port);
      api.push(r.ms);
      answer = r.body;
    }
    const exposed = Object.values(answer.units as Record<string, number>).reduce((a, b) => a + b, 0);

    // The live tail on this store: every event was received in the last minutes, so each read's
    // window holds them all; the visitor filter that matches nothing is the worst case (the
    // site's newest LIMITS.latestEventsScan rows looked at). Baseline: a point read of the site.
    const timed = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { Authorization: `Bearer ${KEY}` } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
        if (i >= 5) times.push(performance.now() - t0);
      }
      return median(times);
    };
    const siteRead = await timed(`/api/sites/${DEMO.site}`);
    const tail = {
      latest: await timed(`/api/sites/${DEMO.site}/events?limit=100`),
      poll: await timed(`/api/sites/${DEMO.site}/events?limit=100&since=${Date.now() - 12_000}&type=conversion`),
      noMatch: await timed(`/api/sites/${DEMO.site}/events?limit=100&visitor=nobody-at-all`),
    };

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const url = `http://127.0.0.1:${server.port}/dashboard/sites/${DEMO.site}/experiments/${DEMO.experimentId}`;
    const cold: Awaited<ReturnType<typeof visit>>[] = [];
    const warm: Awaited<ReturnType<typeof visit>>[] = [];
    try {
      for (let i = 0; i < visits; i++) {
        // A first visit: a new profile, nothing cached; then a second visit in the same profile.
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript((key) => sessionStorage.setItem('anole.apiKey', key), KEY);
        cold.push(await visit(context, url, answer.goals.length));
        warm.push(await visit(context, url, answer.goals.length));
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const apiMs = median(api);
    const coldTables = median(cold.map((v) => v.tables));
    const warmTables = median(warm.map((v) => v.tables));
    console.log(`\nexposed units: ${exposed.toLocaleString('en-US')} persons, ${answer.goals.length} goals, ${answer.goals[0].series.length} days`);
    console.log(`baseline — results API alone (warm, median of ${api.length}): ${apiMs.toFixed(1)} ms`);
    console.log(`first visit (cold cache), median of ${visits}: tables usable ${coldTables.toFixed(0)} ms, charts drawn ${median(cold.map((v) => v.charts)).toFixed(0)} ms — ${(coldTables / apiMs).toFixed(1)}x the API alone`);
    console.log(`second visit (cached, 304s), median of ${visits}: tables usable ${warmTables.toFixed(0)} ms, charts drawn ${median(warm.map((v) => v.charts)).toFixed(0)} ms — ${(warmTables / apiMs).toFixed(1)}x the API alone`);
    const phase = (list: typeof cold, name: keyof (typeof cold)[number]['phases']) => median(list.map((v) => v.phases[name])).toFixed(0);
    for (const [label, list] of [['first visit', cold], ['second visit', warm]] as const) {
      console.log(
        `${label}, page clock (median ms after navigation start): document ${phase(list, 'html')}, app.js ${phase(list, 'app')}, ` +
          `results page module ${phase(list, 'pageModule')}, API request sent ${phase(list, 'apiStart')}, answered ${phase(list, 'apiEnd')}, first table in the document ${phase(list, 'tables')}`,
      );
    }
    console.log(`\nlive tail on ${events.toLocaleString('en-US')} events (median of 20; baseline GET /api/sites/{site}: ${siteRead.toFixed(1)} ms):`);
    console.log(`  latest 100, no filter: ${tail.latest.toFixed(1)} ms (${(tail.latest / siteRead).toFixed(1)}x)`);
    console.log(`  poll (since 12 s ago, type=conversion): ${tail.poll.toFixed(1)} ms (${(tail.poll / siteRead).toFixed(1)}x)`);
    console.log(`  visitor filter matching nothing (the site's newest 50,000 looked at): ${tail.noMatch.toFixed(1)} ms (${(tail.noMatch / siteRead).toFixed(1)}x)`);
    const first = cold[0]!.bytes;
    console.log(`first visit downloads: ${kb(first.assets)} of page, modules, styles and uPlot (compressed, headers included) + ${kb(first.api)} of API answers, ${first.requests} requests`);
    console.log(`load average ${loadAvg()}`);
  } finally {
    await server.stop();
    temp.remove();
  }
}

await main();
