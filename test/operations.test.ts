import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

describe('health, metrics and the OpenAPI document', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('reports process and store health', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    // Without a key: no driver details.
    expect(await res.json()).toEqual({ status: 'ok', store: 'ok', uptimeSeconds: expect.any(Number) });
    const keyed = await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${server.adminKey}` } });
    expect(await keyed.json()).toMatchObject({ status: 'ok', store: 'ok', engine: 'sqlite' });
  });

  it('counts events by outcome and rejection code, and exposes latency and store size', async () => {
    const body = ['eventType=page&href=x&nonce=00000000000000f1&visitorCode=m1', 'eventType=page&href=x&nonce=00000000000000f1&visitorCode=m1', 'eventType=page&nonce=zz&visitorCode=m1'].join('\n');
    await fetch(`${server.url}/visit/events?siteCode=metrics`, { method: 'POST', body });
    const text = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    expect(text).toMatch(/anole_events_total\{outcome="accepted",code=""\} 1/);
    expect(text).toMatch(/anole_events_total\{outcome="duplicate",code=""\} 1/);
    expect(text).toMatch(/anole_events_total\{outcome="rejected",code="invalid_nonce"\} 1/);
    expect(text).toMatch(/anole_http_request_duration_seconds_bucket\{le="0.05",method="POST",route="\/visit\/events",status="204"\}/);
    expect(text).toMatch(/anole_store_bytes \d+/);
    expect(text).toMatch(/anole_store_events \d+/);
  });

  it("tells how busy each thread keeps its event loop, the writer's included, and only ever counts up", async () => {
    const busy = async () => {
      const text = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
      return new Map([...text.matchAll(/^anole_thread_busy_seconds_total\{thread="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    };
    const before = await busy();
    expect([...before.keys()]).toEqual(expect.arrayContaining(['main', 'anole sqlite writer']));
    const lines = Array.from({ length: 500 }, (_, i) => `eventType=page&href=x&nonce=${(0xb000 + i).toString(16).padStart(16, '0')}&visitorCode=busy${i}`);
    expect((await fetch(`${server.url}/visit/events?siteCode=metrics`, { method: 'POST', body: lines.join('\n') })).status).toBe(204);
    const after = await busy();
    for (const [thread, seconds] of before) expect(after.get(thread)).toBeGreaterThanOrEqual(seconds);
    expect(after.get('anole sqlite writer')).toBeGreaterThan(before.get('anole sqlite writer')!);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, object> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/visit/events', '/visit/visitor', '/visit/forget', '/map/map', '/map/maps', '/health', '/metrics', '/api/sites/{siteCode}/experiments/{experimentId}/results']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});

/** A real process stopped with SIGTERM while clients are posting: every acknowledged event survives. */
describe('graceful stop', () => {
  it('acknowledges in-flight requests before exiting and loses none of them', async () => {
    const temp = makeTempDir();
    const env = { ...process.env, ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'warn', ANOLE_ADMIN_KEY: 'graceful-stop-key-0123456789' };
    const start = () =>
      new Promise<{ url: string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /anole listening on (http:\/\/[^"\s]+)/.exec(out);
          if (m) resolve({ url: m[1]!, exited, kill: (s) => child.kill(s) });
        });
        child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
      });
    try {
      const first = await start();
      const acknowledged: string[] = [];
      let counter = 0;
      const post = async () => {
        const nonce = (++counter).toString(16).padStart(16, '0');
        try {
          const res = await fetch(`${first.url}/visit/events?siteCode=stop&visitorCode=v${counter % 7}`, {
            method: 'POST',
            body: `eventType=conversion&goalId=1&revenue=1&nonce=${nonce}`,
          });
          if (res.status === 204) acknowledged.push(nonce);
        } catch {
          // Refused once the server stopped listening: not acknowledged, so nothing is owed.
        }
      };
      const load = Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 60; i++) await post();
      }));
      await new Promise((r) => setTimeout(r, 500));
      const stopAt = Date.now();
      first.kill('SIGTERM');
      await load;
      expect(await first.exited).toBe(0);
      console.log(`graceful stop took ${Date.now() - stopAt} ms; ${acknowledged.length} requests acknowledged`);
      expect(acknowledged.length).toBeGreaterThan(0);

      const second = await start();
      let stored = 0;
      for (let v = 0; v < 7; v++) {
        const res = await fetch(`${second.url}/visit/visitor?siteCode=stop&visitorCode=v${v}&currentVisit=true&maxNumberPreviousVisits=25&conversion=true`);
        const body = (await res.json()) as { currentVisit?: { conversionEvents?: unknown[] } };
        stored += body.currentVisit?.conversionEvents?.length ?? 0;
      }
      second.kill('SIGTERM');
      await second.exited;
      expect(stored).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      temp.remove();
    }
  });
});
