import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, chromiumSkipNote } from './helpers/chromium.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** What the page does, in the browser, against Anole on another origin: the SDK's requests and headers. */
const PAGE_SCRIPT = `
async function run(api) {
  const out = {};
  const sdkHeaders = { 'Content-Type': '*/*', 'X-Kameleoon-SDK-Type': 'javascript', 'X-Kameleoon-SDK-Version': '4.17.1' };
  const post = await fetch(api + '/visit/events?siteCode=browser1&sdkName=javascript&sdkVersion=4.17.1', {
    method: 'POST', headers: sdkHeaders,
    body: 'eventType=page&href=https%3A%2F%2Fshop.example%2F&title=Home&nonce=00000000000000B1&visitorCode=browservisitor1\\n' +
          'eventType=conversion&goalId=42&revenue=9.5&negative=false&nonce=00000000000000B2&visitorCode=browservisitor1',
  });
  out.post = post.status;
  const read = await fetch(api + '/visit/visitor?siteCode=browser1&visitorCode=browservisitor1&currentVisit=true&conversion=true&page=true');
  out.read = { status: read.status, body: await read.json() };
  const map = await fetch(api + '/map/maps?siteCode=browser1', { method: 'POST', headers: sdkHeaders, body: '{"browservisitor1":{"tier":"gold"}}' });
  out.mapPost = map.status;
  out.map = await (await fetch(api + '/map/map?siteCode=browser1&key=browservisitor1')).json();
  const forget = await fetch(api + '/visit/forget?siteCode=browser1', { method: 'POST', headers: sdkHeaders, body: 'somebody-else' });
  out.forget = forget.status;
  const bad = await fetch(api + '/map/maps?siteCode=browser1&keys=notjson');
  out.bad = { status: bad.status, body: await bad.json() };
  return out;
}
async function attempt(api) {
  try {
    const res = await fetch(api + '/visit/events?siteCode=browser1', { method: 'POST', headers: { 'Content-Type': '*/*', 'X-Kameleoon-SDK-Type': 'javascript' }, body: 'eventType=activity&nonce=00000000000000B3&visitorCode=blocked1' });
    return 'status ' + res.status;
  } catch (error) {
    return 'blocked';
  }
}
`;

describe.skipIf(chromiumMissing)(`CORS in headless Chromium${chromiumSkipNote}`, () => {
  let anole: TestServer;
  let restricted: TestServer;
  let page: http.Server;
  let pageOrigin: string;
  let context: BrowserContext;
  const profile = makeTempDir('anole-chromium-');

  beforeAll(async () => {
    anole = await startTestServer();
    // Forget from a browser is Kameleoon's open behaviour, which a site opts into.
    await fetch(`${anole.url}/api/sites/browser1`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${anole.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ openForget: true }),
    });
    restricted = await startTestServer({ ANOLE_CORS_ORIGINS: 'https://elsewhere.example' });
    page = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>shop</title><script>${PAGE_SCRIPT}</script>`);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    // Same host, other port: a different origin, so every call is cross-origin.
    pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => page?.close(resolve));
    await anole?.stop();
    await restricted?.stop();
    profile.remove();
  });

  it('lets a page on one loopback origin post events to Anole on another and read them back', async () => {
    const tab = await context.newPage();
    await tab.goto(pageOrigin);
    const apiOrigin = new URL(anole.url).origin.replace('localhost', '127.0.0.1');
    expect(apiOrigin).not.toBe(pageOrigin);
    const out = (await tab.evaluate(`run(${JSON.stringify(apiOrigin)})`)) as {
      post: number;
      read: { status: number; body: { currentVisit: { conversionEvents: { data: { goalId: number; revenue: number } }[]; pageEvents: unknown[] } } };
      mapPost: number;
      map: unknown;
      forget: number;
      bad: { status: number; body: { code: string } };
    };
    expect(out.post).toBe(204);
    expect(out.read.status).toBe(200);
    expect(out.read.body.currentVisit.conversionEvents[0]!.data).toMatchObject({ goalId: 42, revenue: 9.5 });
    expect(out.read.body.currentVisit.pageEvents).toHaveLength(1);
    expect(out.mapPost).toBe(204);
    expect(out.map).toEqual({ tier: 'gold' });
    expect(out.forget).toBe(204);
    // Error answers are readable cross-origin too.
    expect(out.bad).toMatchObject({ status: 400, body: { code: 'invalid_query' } });
    await tab.close();
  }, 60_000);

  it('is blocked by the browser when the page origin is not among ANOLE_CORS_ORIGINS (the control)', async () => {
    const tab = await context.newPage();
    await tab.goto(pageOrigin);
    expect(await tab.evaluate(`attempt(${JSON.stringify(new URL(restricted.url).origin)})`)).toBe('blocked');
    const res = await fetch(`${restricted.url}/visit/visitor?siteCode=browser1&visitorCode=blocked1&currentVisit=true&all=true`);
    // The preflight failed, so the browser never sent the POST itself.
    expect(await res.json()).toEqual({});
    await tab.close();
  }, 60_000);
});
