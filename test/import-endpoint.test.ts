import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** POST /api/sites/{site}/imports over real HTTP on loopback. */
describe('POST /api/sites/{site}/imports', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  const post = (site: string, query: string, body: BodyInit | null, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/sites/${site}/imports${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'text/csv', ...headers },
      body,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  const recent = new Date(Date.now() - 3_600_000).toISOString();
  const csv = `Visitor Code,Goal,Amount,Time,Order\nh1,11,5,${recent},o1\nh2,11,x,${recent},o2\nh3,11,7,${recent},o3\n`;

  it('imports a CSV body and answers the summary with the first rejected rows; a retry stores nothing twice', async () => {
    const first = await post('http1', '?idColumn=Order', csv);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      siteCode: 'http1', dryRun: false, rows: 3, accepted: 2, duplicate: 0, rejected: 1, rejectedByCode: { invalid_field: 1 }, seconds: expect.any(Number),
      errors: [{ row: 3, column: 'Amount', code: 'invalid_field', message: 'revenue "x" is not a number' }], errorsTruncated: false,
    });
    const retry = await (await post('http1', '?idColumn=Order', csv)).json();
    expect(retry).toMatchObject({ accepted: 0, duplicate: 2, rejected: 1 });
  });

  it('answers every rejected row as a CSV attachment with errors=csv, counts in headers', async () => {
    const rows = ['visitorCode,goalId,revenue', ...Array.from({ length: 250 }, (_, i) => `e${i},1,bad${i}`), 'ok,1,1'];
    const response = await post('http2', '?errors=csv', `${rows.join('\n')}\n`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toContain('http2-import-errors.csv');
    expect(response.headers.get('anole-import-rejected')).toBe('250');
    expect(response.headers.get('anole-import-accepted')).toBe('1');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines).toHaveLength(251);
    expect(lines[0]).toBe('error_row,error_column,error_code,error_message,visitorCode,goalId,revenue');
    expect(lines[250]).toMatch(/^251,revenue,invalid_field,.*,e249,1,bad249$/);
    // Without errors=csv the answer lists the first 100 and says there are more.
    const listed = await (await post('http2', '', `${rows.join('\n')}\n`)).json();
    expect(listed.errors).toHaveLength(100);
    expect(listed.errorsTruncated).toBe(true);
  });

  it('streams a body in chunks, gzip-encoded, NDJSON by content type, and dry runs', async () => {
    const ndjson = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ visitorCode: `n${i}`, goalId: 3, revenue: i })).join('\n');
    const gz = gzipSync(ndjson);
    // A body sent in small pieces, as a slow upload would arrive.
    const pieces = Array.from({ length: Math.ceil(gz.length / 1000) }, (_, i) => gz.subarray(i * 1000, (i + 1) * 1000));
    const stream = Readable.toWeb(Readable.from(pieces)) as ReadableStream;
    const dry = await (await post('http3', '?dryRun=true', stream, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })).json();
    expect(dry).toMatchObject({ dryRun: true, rows: 3000, accepted: 3000, rejected: 0 });
    const real = await (await post('http3', '', gz, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })).json();
    expect(real).toMatchObject({ rows: 3000, accepted: 3000 });
  });

  it('refuses what it cannot import, in the error contract', async () => {
    const cases: [string, BodyInit | null, Record<string, string>, number, string][] = [
      ['?map=Goal=nonsense', csv, {}, 400, 'invalid_import'],
      ['?timezone=Atlantis', csv, {}, 400, 'invalid_import'],
      ['?decimal=;', csv, {}, 400, 'invalid_query'],
      ['', 'a,b\n1,2\n', {}, 400, 'invalid_import'],
      ['', '', {}, 400, 'invalid_import'],
      ['', csv, { 'content-encoding': 'br' }, 415, 'unsupported_media_type'],
      ['', 'not gzip', { 'content-encoding': 'gzip' }, 400, 'invalid_body'],
    ];
    for (const [query, body, headers, status, code] of cases) {
      const response = await post('http4', query, body, headers);
      const answer = await response.json();
      expect([response.status, answer.code], `${query} ${JSON.stringify(headers)}: ${answer.message}`).toEqual([status, code]);
      expect(typeof answer.message).toBe('string');
    }
    const unauthorized = await fetch(`${server.url}/api/sites/http4/imports`, { method: 'POST', body: csv });
    expect(unauthorized.status).toBe(401);
    // A declared length over 1 GiB is refused before a byte is read.
    const { request } = await import('node:http');
    const tooLarge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/api/sites/http4/imports`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}`, 'content-length': String(2 ** 30 + 1) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('visitorCode,goalId\n');
      setTimeout(() => req.destroy(), 2000);
    });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body).code).toBe('body_too_large');
  });
});
