import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { nonce } from './helpers/visit-api.ts';

/**
 * The request-body budget over real HTTP: bodies past ANOLE_BODY_BUDGET_MB wait unread until
 * earlier ones are done, requests without a body are not held, and nothing stays reserved.
 */
describe('request-body budget', () => {
  let server: TestServer;
  const metric = async (name: string) => {
    const text = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
  };
  const body = (visitor: string, bytes: number) => {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < bytes; i++) {
      const line = `eventType=page&href=/p${'x'.repeat(900)}&nonce=${nonce(i)}&visitorCode=${visitor}`;
      lines.push(line);
      size += line.length + 1;
    }
    return lines.join('\n');
  };

  beforeAll(async () => {
    server = await startTestServer({ ANOLE_BODY_BUDGET_MB: '1' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('holds a body that does not fit until the one before it is done, and never a request without a body', async () => {
    // A client that announces 900 KB and sends only part of it keeps its reservation.
    const slowBody = body('slow', 900 * 1024);
    const { hostname, port } = new URL(server.url);
    const slow = net.connect(Number(port), hostname);
    slow.on('error', () => undefined);
    const slowAnswer = new Promise<string>((resolve) => {
      let text = '';
      slow.on('data', (d) => (text += d.toString()));
      slow.on('close', () => resolve(text));
    });
    slow.write(`POST /visit/events?siteCode=budget HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(slowBody)}\r\n\r\n${slowBody.slice(0, 1000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await metric('anole_body_budget_bytes')).toBe(Buffer.byteLength(slowBody));

    let secondDone = false;
    const second = fetch(`${server.url}/visit/events?siteCode=budget`, { method: 'POST', body: body('second', 500 * 1024) }).then((res) => {
      secondDone = true;
      return res.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondDone).toBe(false);
    expect(await metric('anole_body_budget_waiting_requests')).toBe(1);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    // The rest of the body, without ending the client's side: Node aborts a request whose client
    // half-closes before the answer.
    slow.write(slowBody.slice(1000));
    expect(await slowAnswer).toMatch(/^HTTP\/1\.1 204/);
    expect(await second).toBe(204);
    expect(await metric('anole_body_budget_bytes')).toBe(0);
    expect(await metric('anole_body_budget_waiting_requests')).toBe(0);
  });

  it('releases the reservation of a client that goes away mid-body, and of one answered unread', async () => {
    const { hostname, port } = new URL(server.url);
    const gone = net.connect(Number(port), hostname);
    gone.on('error', () => undefined);
    gone.write('POST /visit/events?siteCode=budget HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\nabc');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await metric('anole_body_budget_bytes')).toBe(500_000);
    gone.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await metric('anole_body_budget_bytes')).toBe(0);
    const tooBig = await fetch(`${server.url}/visit/events?siteCode=budget`, { method: 'POST', body: 'x'.repeat(4 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
    expect(await metric('anole_body_budget_bytes')).toBe(0);
  });

  it('counts a GET /map/maps answer in the budget while it is built and sent', async () => {
    const value = 'm'.repeat(600 * 1024);
    for (const key of ['m1', 'm2']) {
      expect((await fetch(`${server.url}/map/maps?siteCode=budget`, { method: 'POST', body: JSON.stringify({ [key]: { v: value } }) })).status).toBe(204);
    }
    const { hostname, port } = new URL(server.url);
    const slow = net.connect(Number(port), hostname);
    slow.on('error', () => undefined);
    slow.write('POST /visit/events?siteCode=budget HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\nabc');
    await new Promise((resolve) => setTimeout(resolve, 200));
    let read = false;
    const maps = fetch(`${server.url}/map/maps?siteCode=budget&keys=${encodeURIComponent('["m1","m2"]')}`).then(async (res) => {
      read = true;
      return Object.keys((await res.json()) as object);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(read).toBe(false);
    slow.destroy();
    expect(await maps).toEqual(['m1', 'm2']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await metric('anole_body_budget_bytes')).toBe(0);
  });
});
