import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/error-codes.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * What Node's HTTP parser refuses never reaches a route, yet the answer follows the same contract:
 * a JSON body with `message` and a registered `code`, `Connection: close`, and the connection closed.
 */
describe('HTTP parser errors in the error contract', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  const GET = 'GET /health HTTP/1.1\r\nHost: x\r\n';
  const cases: [string, string, number, string][] = [
    ['a head over 16 KiB', `${GET}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['an unknown method', 'FETCH /health HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
    ['a lowercase method', 'get /health HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
    ['Transfer-Encoding with Content-Length', 'POST /visit/events?siteCode=s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'malformed_request'],
    ['a bad chunk size', 'POST /visit/events?siteCode=s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400, 'malformed_request'],
    ['a bare LF', 'GET /health HTTP/1.1\nHost: x\n\n', 400, 'malformed_request'],
    ['a broken request line', 'GET\r\n\r\n', 400, 'malformed_request'],
    ['an unknown HTTP version', 'GET /health HTTP/3.7\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
    ['a header without a colon', `${GET}NoColonHere\r\n\r\n`, 400, 'malformed_request'],
    ['a NUL in the request line', 'GET /hea\u0000lth HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'malformed_request'],
    ['HTTP/1.1 without Host', 'GET /health HTTP/1.1\r\n\r\n', 400, 'malformed_request'],
    ['binary noise', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)).toString('latin1'), 400, 'malformed_request'],
  ];

  it.each(cases)('%s: %i %s, Connection: close, then closed', async (_name, bytes, status, code) => {
    const reply = await rawRequest(server.url, Buffer.from(bytes, 'latin1'));
    expect(reply.status, reply.raw.slice(0, 300)).toBe(status);
    expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.headers.connection).toBe('close');
    const body = JSON.parse(reply.body) as { message: unknown; code: unknown };
    expect(body.code).toBe(code);
    expect(typeof body.message).toBe('string');
    expect(reply.closed).toBe(true);
  });

  it('keeps serving well-formed requests on other connections, and HTTP/1.0 without Host', async () => {
    const reply = await rawRequest(server.url, 'GET /health HTTP/1.0\r\n\r\n');
    expect(reply.status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('closes the connection after a body over the limit it will not read', async () => {
    const reply = await rawRequest(server.url, `POST /visit/events?siteCode=s HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\nabc`);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'body_too_large' });
    expect(reply.headers.connection).toBe('close');
    expect(reply.closed).toBe(true);
  });
});
