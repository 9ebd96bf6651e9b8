import crypto from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openapiHtml } from '../src/http/openapi-html.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, chromiumSkipNote } from './helpers/chromium.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

describe('GET /docs/api: the API reference as a page the server serves', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is public HTML with a policy that allows its inline style by hash and nothing else', async () => {
    const res = await fetch(`${server.url}/docs/api`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = crypto.createHash('sha256').update(style).digest('base64');
    expect(res.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    // Nothing from elsewhere: no script, no external reference, links only to its own anchors and /openapi.json.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=/i);
    const links = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(links.every((href) => href.startsWith('#') || href === '/openapi.json')).toBe(true);
  });

  it('has a section for every operation of /openapi.json, linked from its table of contents', async () => {
    const html = await (await fetch(`${server.url}/docs/api`)).text();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    const operations = Object.entries(doc.paths).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${route}`));
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) {
      const escaped = operation.replace(/&/g, '&amp;');
      expect(html, operation).toContain(`<h2><code>${escaped}</code></h2>`);
    }
    const ids = [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]!);
    expect(new Set(ids).size).toBe(operations.length);
    for (const id of ids) expect(html).toContain(`href="#${id}"`);
    expect(html).toContain('<code>POST /visit/events</code>');
    expect(html).toContain('<td><code>siteCode</code></td><td>query</td><td>yes</td>');
  });

  it('escapes whatever the document says', () => {
    const page = openapiHtml({
      info: { title: 'T<b>' },
      paths: { '/x': { get: { summary: '<script>alert(1)</script>', description: 'a "b" & `<c>`', responses: { '200': { description: '<img src=x>' } } } } },
    });
    expect(page.html).not.toMatch(/<script>alert|<img src=x>|<b>/);
    expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.html).toContain('a &quot;b&quot; &amp; <code>&lt;c&gt;</code>');
  });

  describe.skipIf(chromiumMissing)(`in headless Chromium${chromiumSkipNote}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('renders with its style applied, loads nothing else, and breaks no rule of its policy', async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${server.url}/docs/api#post-visit-events`);
      expect(await page.title()).toContain('HTTP API reference');
      expect(await page.locator('table').first().evaluate((t) => getComputedStyle(t).borderCollapse)).toBe('collapse');
      expect(await page.locator('#post-visit-events h2').textContent()).toBe('POST /visit/events');
      expect(requests).toEqual([`${server.url}/docs/api#post-visit-events`.replace(/#.*$/, '')]);
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
