import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.ts';
import { DASHBOARD_CSP, pickEncoding } from './dashboard-routes.ts';

describe('serving the dashboard', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

  it('serves the page to anyone, with a strict CSP, nosniff and no framing', async () => {
    const response = await get('/dashboard/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).toContain("style-src 'self'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await response.text();
    expect(page).toContain('<script type="module" src="/dashboard/assets/app.js"></script>');
    // No inline script or style anywhere in the page.
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|style=/);
  });

  it('answers every page path with the page, so that any view\'s URL can be opened directly', async () => {
    for (const path of ['/dashboard/sites/shop/experiments/12?level=visit&goal=3', '/dashboard/sites/a%20b/visitors?visitorCode=x', '/dashboard/sign-in']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toContain('/dashboard/assets/app.js');
    }
    const bare = await get('/dashboard');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/dashboard/');
  });

  it('serves assets from the project and its npm dependencies, compressed, with ETags', async () => {
    const hooks = await get('/dashboard/vendor/preact-hooks.mjs');
    expect(hooks.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const source = await hooks.text();
    // The browser resolves no bare specifier without an import map: the one import points at the sibling file.
    expect(source).toContain('from"./preact.mjs"');
    expect(source).not.toMatch(/from\s*["']preact["']/);
    for (const path of ['/dashboard/vendor/preact.mjs', '/dashboard/vendor/htm.mjs', '/dashboard/vendor/uplot.mjs', '/dashboard/vendor/uplot.css', '/dashboard/assets/styles.css', '/dashboard/assets/generated/registry.js']) {
      expect((await get(path)).status, path).toBe(200);
    }
    const registry = await (await get('/dashboard/assets/generated/registry.js')).text();
    expect(registry).toContain('"reference_rate_zero"');

    const plain = await get('/dashboard/assets/app.js', { 'accept-encoding': 'identity' });
    const body = Buffer.from(await plain.arrayBuffer());
    const etag = plain.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    expect((await get('/dashboard/assets/app.js', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/dashboard/assets/app.js', { 'if-none-match': `W/${etag}, "other"` })).status).toBe(304);

    // fetch decompresses by itself: read the raw bytes through node:http instead.
    const raw = await import('node:http');
    const compressed = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      raw.get(`${server.url}/dashboard/assets/app.js`, { headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(compressed.encoding).toBe('br');
    expect(zlib.brotliDecompressSync(compressed.bytes)).toEqual(body);
  });

  it('answers a missing file, or a path outside the table, with a 404 in the error shape', async () => {
    for (const path of ['/dashboard/assets/nope.js', '/dashboard/vendor/../../package.json', '/dashboard/assets/%2e%2e/%2e%2e/dashboard-routes.ts', '/dashboard/x.map']) {
      const response = await get(path);
      if (response.status === 200) expect(await response.text(), path).toContain('/dashboard/assets/app.js');
      else {
        expect(response.status, path).toBe(404);
        expect(await response.json()).toMatchObject({ code: 'not_found' });
      }
    }
    expect((await get('/dashboard/assets/nope.js')).headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  });

  it('picks brotli, then gzip, and honours q=0', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('*, br;q=0')).toBe('gzip');
    expect(pickEncoding('identity')).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding('br;q=nonsense')).toBeNull();
    expect(pickEncoding('x'.repeat(100_000))).toBeNull();
  });
});
