import fs from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openapiMarkdown, type OpenApiDocument } from '../src/http/openapi-markdown.ts';
import { nonce } from './helpers/visit-api.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

type Operation = { summary?: string; parameters?: { in: string; name: string }[]; requestBody?: unknown; responses: Record<string, Response> };
type Response = { description: string; content?: Record<string, { schema: object }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

/**
 * One real request per answer the document promises, so that every route's documented responses
 * are checked against what the server really sends. A route added without an entry here fails the
 * "every operation is exercised" test.
 */
interface Exchange {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The path as the document names it. */
  route: string;
  url: string;
  body?: string;
  admin?: boolean;
  status: number;
}

const SITE = 'openapi';
const EXPERIMENT = { name: 'Checkout', variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }], referenceVariationId: 1 };
const exchanges: Exchange[] = [
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1`, body: `eventType=experiment&id=7&variationId=1&nonce=${nonce(1)}`, status: 204 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v2`, body: `eventType=experiment&id=7&variationId=2&nonce=${nonce(2)}\neventType=conversion&goalId=3&revenue=5&nonce=${nonce(3)}\neventType=conversion&nonce=${nonce(4)}`, status: 204 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1&verdicts=true`, body: `eventType=conversion&goalId=3&revenue=9&nonce=${nonce(5)}\neventType=conversion&goalId=3&revenue=9&nonce=${nonce(5)}\neventType=page&nonce=${nonce(6)}`, status: 200 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1&answer=counts`, body: `eventType=conversion&goalId=3&revenue=9&nonce=${nonce(5)}\neventType=conversion&goalId=3&nonce=${nonce(10)}\neventType=page&nonce=${nonce(6)}`, status: 200 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1&answer=counts&verdicts=true`, body: `eventType=activity&nonce=${nonce(11)}`, status: 400 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1&json=true&dryRun=true`, body: JSON.stringify([{ eventType: 'activity', nonce: nonce(7) }]), status: 200 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&json=true`, body: JSON.stringify([{ eventType: 'activity', nonce: nonce(8) }]), status: 400 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&json=maybe`, body: '', status: 400 },
  { method: 'get', route: '/visit/visitor', url: `/visit/visitor?siteCode=${SITE}&visitorCode=v2&all=true&currentVisit=true`, status: 200 },
  { method: 'get', route: '/visit/visitor', url: `/visit/visitor?siteCode=${SITE}&visitorCode=nobody`, status: 200 },
  { method: 'get', route: '/visit/visitor', url: `/visit/visitor?siteCode=${SITE}`, status: 400 },
  { method: 'post', route: '/visit/forget', url: `/visit/forget?siteCode=${SITE}&verdicts=true`, admin: true, body: 'gone\n', status: 200 },
  { method: 'post', route: '/visit/forget', url: `/visit/forget?siteCode=${SITE}`, admin: true, body: 'gone\n', status: 204 },
  { method: 'post', route: '/visit/forget', url: `/visit/forget?siteCode=${SITE}`, body: 'gone\n', status: 401 },
  { method: 'post', route: '/map/maps', url: `/map/maps?siteCode=${SITE}`, body: JSON.stringify({ v1: { tier: 'gold' } }), status: 204 },
  { method: 'post', route: '/map/maps', url: `/map/maps?siteCode=${SITE}`, body: '{', status: 400 },
  { method: 'get', route: '/map/map', url: `/map/map?siteCode=${SITE}&key=v1`, status: 200 },
  { method: 'get', route: '/map/maps', url: `/map/maps?siteCode=${SITE}&keys=["v1","v9"]`, status: 200 },
  { method: 'get', route: '/map/maps', url: `/map/maps?siteCode=${SITE}&keys=v1`, status: 400 },
  { method: 'get', route: '/health', url: '/health', status: 200 },
  { method: 'get', route: '/health', url: '/health', admin: true, status: 200 },
  { method: 'get', route: '/metrics', url: '/metrics', admin: true, status: 200 },
  { method: 'get', route: '/metrics', url: '/metrics', status: 401 },
  { method: 'get', route: '/openapi.json', url: '/openapi.json', status: 200 },
  { method: 'get', route: '/docs/api', url: '/docs/api', status: 200 },
  { method: 'post', route: '/visit/events', url: `/visit/events?siteCode=${SITE}&visitorCode=v1&json=true&verdicts=true`, body: JSON.stringify([{ eventType: 'conversion', goalId: 3, revenue: '9.5', nonce: nonce(9) }]), status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}', url: '/api/sites/openapi-quota', admin: true, body: JSON.stringify({ maxMapBytes: 10, maxRegistryEntries: 1 }), status: 200 },
  { method: 'post', route: '/map/maps', url: '/map/maps?siteCode=openapi-quota', body: JSON.stringify({ v1: { tier: 'gold' } }), status: 409 },
  { method: 'put', route: '/api/sites/{siteCode}/goals/{goalId}', url: '/api/sites/openapi-quota/goals/1', admin: true, body: JSON.stringify({ name: 'One' }), status: 200 },
  { method: 'put', route: '/api/sites/{siteCode}/goals/{goalId}', url: '/api/sites/openapi-quota/goals/2', admin: true, body: JSON.stringify({ name: 'Two' }), status: 409 },
  { method: 'get', route: '/api/sites/{siteCode}', url: '/api/sites/openapi-quota', admin: true, status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}', url: `/api/sites/${SITE}`, admin: true, body: JSON.stringify({ lateEventHorizonMs: 86_400_000 }), status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}', url: `/api/sites/${SITE}`, admin: true, body: JSON.stringify({ horizon: 1 }), status: 400 },
  { method: 'get', route: '/api/sites/{siteCode}', url: `/api/sites/${SITE}`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}', url: `/api/sites/${SITE}`, status: 401 },
  { method: 'put', route: '/api/sites/{siteCode}/goals/{goalId}', url: `/api/sites/${SITE}/goals/3`, admin: true, body: JSON.stringify({ name: 'Purchase', kind: 'revenue' }), status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}/goals/{goalId}', url: `/api/sites/${SITE}/goals/3`, admin: true, body: JSON.stringify({ name: 'Store purchase' }), status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/goals', url: `/api/sites/${SITE}/goals`, admin: true, status: 200 },
  { method: 'put', route: '/api/sites/{siteCode}/experiments/{experimentId}', url: `/api/sites/${SITE}/experiments/7`, admin: true, body: JSON.stringify(EXPERIMENT), status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}/experiments/{experimentId}', url: `/api/sites/${SITE}/experiments/7`, admin: true, body: JSON.stringify({ status: 'paused' }), status: 200 },
  { method: 'patch', route: '/api/sites/{siteCode}/experiments/{experimentId}', url: `/api/sites/${SITE}/experiments/7`, admin: true, body: JSON.stringify({ colour: 'red' }), status: 400 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments', url: `/api/sites/${SITE}/experiments`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}', url: `/api/sites/${SITE}/experiments/7`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}', url: `/api/sites/${SITE}/experiments/99`, admin: true, status: 404 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}/results', url: `/api/sites/${SITE}/experiments/7/results`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}/results', url: `/api/sites/${SITE}/experiments/7/results?level=visit`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}/results', url: `/api/sites/${SITE}/experiments/7/results?level=person`, admin: true, status: 400 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}/explain', url: `/api/sites/${SITE}/experiments/7/explain?visitorCode=v2`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/experiments/{experimentId}/explain', url: `/api/sites/${SITE}/experiments/7/explain?visitorCode=nobody`, admin: true, status: 200 },
  { method: 'post', route: '/api/sites/{siteCode}/imports', url: `/api/sites/${SITE}/imports?goalId=3`, admin: true, body: `eventType=conversion&visitorCode=v9&revenue=4\neventType=conversion&revenue=4`, status: 200 },
  { method: 'post', route: '/api/sites/{siteCode}/imports', url: `/api/sites/${SITE}/imports?format=csv`, admin: true, body: 'a,b\n1,2\n', status: 400 },
  { method: 'post', route: '/api/keys', url: '/api/keys', admin: true, body: JSON.stringify({ role: 'site', siteCode: SITE, label: 'back-end' }), status: 201 },
  { method: 'post', route: '/api/keys', url: '/api/keys', admin: true, body: JSON.stringify({ role: 'site', label: 'no site' }), status: 400 },
  { method: 'get', route: '/api/keys', url: '/api/keys', admin: true, status: 200 },
  { method: 'get', route: '/api/keys', url: '/api/keys', status: 401 },
  { method: 'delete', route: '/api/keys/{id}', url: '/api/keys/2', admin: true, status: 204 },
  { method: 'delete', route: '/api/keys/{id}', url: '/api/keys/999', admin: true, status: 404 },
  { method: 'delete', route: '/api/keys/{id}', url: '/api/keys/1', admin: true, status: 409 },
  { method: 'get', route: '/api/sites', url: '/api/sites', admin: true, status: 200 },
  { method: 'get', route: '/api/sites', url: '/api/sites?limit=many', admin: true, status: 400 },
  { method: 'get', route: '/api/sites/{siteCode}/overview', url: `/api/sites/${SITE}/overview`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/overview', url: '/api/sites/nowhere/overview', admin: true, status: 404 },
  { method: 'get', route: '/api/sites/{siteCode}/visitor', url: `/api/sites/${SITE}/visitor?visitorCode=v2`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/visitor', url: `/api/sites/${SITE}/visitor`, admin: true, status: 400 },
  { method: 'get', route: '/api/sites/{siteCode}/events', url: `/api/sites/${SITE}/events?limit=10`, admin: true, status: 200 },
  { method: 'get', route: '/api/sites/{siteCode}/events', url: `/api/sites/${SITE}/events?type=click`, admin: true, status: 400 },
];

describe('the OpenAPI document', () => {
  let server: TestServer;
  let raw: Document;
  let doc: Document;
  beforeAll(async () => {
    server = await startTestServer();
    raw = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
    doc = (await SwaggerParser.dereference(structuredClone(raw) as never)) as unknown as Document;
  });
  afterAll(async () => {
    await server.stop();
  });

  const operations = () =>
    Object.entries(raw.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, operation]) => ({ route, method, operation })));

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(raw.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(raw) as never)).resolves.toBeTruthy();
  });

  it('describes every answer of every route: a summary, a schema for each status, no placeholder', () => {
    for (const { route, method, operation } of operations()) {
      const where = `${method.toUpperCase()} ${route}`;
      expect(operation.summary, where).toBeTruthy();
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => s.startsWith('2')), `${where} has a success answer`).toBe(true);
      expect(statuses.some((s) => s === '500'), `${where} documents 500`).toBe(true);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
        if (status !== '204') expect(response.content, `${where} ${status} has a body schema`).toBeDefined();
      }
      if (['post', 'put', 'patch'].includes(method)) expect(operation.requestBody, `${where} documents its body`).toBeDefined();
      for (const param of route.match(/\{(\w+)\}/g) ?? []) {
        expect(operation.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === param), `${where} documents ${param}`).toBe(true);
      }
    }
  });

  it('gives an example for every JSON request body, valid against its own schema', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const { route, method } of operations()) {
      const body = doc.paths[route]![method]!.requestBody as { content: Record<string, { schema: object; example?: unknown }> } | undefined;
      const json = body?.content['application/json'];
      if (!json || route === '/visit/events') continue;
      expect(json.example, `${method} ${route} example`).toBeDefined();
      const validate = ajv.compile(json.schema);
      expect(validate(json.example), `${method} ${route}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('matches what the server really answers, for every route', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const x of exchanges) {
      const res = await fetch(`${server.url}${x.url}`, {
        method: x.method.toUpperCase(),
        headers: x.admin ? { Authorization: `Bearer ${server.adminKey}` } : {},
        ...(x.body === undefined ? {} : { body: x.body }),
      });
      const where = `${x.method.toUpperCase()} ${x.url}`;
      const text = await res.text();
      expect(res.status, `${where}: ${text.slice(0, 300)}`).toBe(x.status);
      const response = doc.paths[x.route]?.[x.method]?.responses[String(x.status)];
      expect(response, `${where}: status ${x.status} is documented`).toBeDefined();
      if (x.status === 204) {
        expect(text).toBe('');
        continue;
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      const media = response!.content?.[type];
      expect(media, `${where}: ${type} is documented`).toBeDefined();
      if (type !== 'application/json') continue;
      const validate = ajv.compile(media!.schema);
      expect(validate(JSON.parse(text)), `${where}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`).toBe(true);
    }
  });

  it('is rendered in docs/api-reference.md (run `npm run docs:api` after changing a route)', () => {
    const doc = fs.readFileSync(path.join(process.cwd(), 'docs', 'api-reference.md'), 'utf8');
    expect(doc).toBe(openapiMarkdown(raw as unknown as OpenApiDocument));
  });

  it('has every documented operation exercised by the test above', () => {
    const exercised = new Set(exchanges.map((x) => `${x.method} ${x.route}`));
    for (const { route, method } of operations()) expect(exercised, `${method} ${route}`).toContain(`${method} ${route}`);
  });

  it('generates a typed client with openapi-typescript that compiles and talks to the server', async () => {
    const types = astToString(await openapiTS(structuredClone(raw) as never));
    // Inside the repository (in the ignored .tmp/), so that the client resolves openapi-fetch.
    fs.mkdirSync(path.join(process.cwd(), '.tmp'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.tmp', 'openapi-client-'));
    try {
      fs.writeFileSync(path.join(dir, 'anole.d.ts'), types);
      // A caller written against the generated types: wrong paths, parameters or fields fail to compile.
      fs.writeFileSync(
        path.join(dir, 'client.ts'),
        [
          "import createClient from 'openapi-fetch';",
          "import type { paths } from './anole.d.ts';",
          'export async function use(baseUrl: string, key: string): Promise<number> {',
          '  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });',
          "  const report = await client.POST('/visit/events', { params: { query: { siteCode: 's', verdicts: 'true' } }, body: [{ eventType: 'activity', nonce: '0123456789abcdef' }] });",
          "  const accepted: number = report.data && 'accepted' in report.data ? report.data.accepted : 0;",
          "  const counts = await client.POST('/visit/events', { params: { query: { siteCode: 's', answer: 'counts' } }, body: 'eventType=activity&nonce=0123456789abcdef' });",
          "  const stored: number = counts.data && 'stored' in counts.data ? counts.data.stored : 0;",
          "  const results = await client.GET('/api/sites/{siteCode}/experiments/{experimentId}/results', { params: { path: { siteCode: 's', experimentId: '1' }, query: { level: 'visit' } } });",
          "  const level: 'visitor' | 'visit' | undefined = results.data?.level;",
          "  const failure: string | undefined = results.error?.code;",
          '  return accepted + stored + (level ? 1 : 0) + (failure ? 1 : 0);',
          '}',
        ].join('\n'),
      );
      const program = ts.createProgram([path.join(dir, 'client.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // The same calls at run time, through openapi-fetch.
    const client = createClient({ baseUrl: server.url, headers: { Authorization: `Bearer ${server.adminKey}` } });
    const report = await client.POST('/visit/events' as never, {
      params: { query: { siteCode: SITE, visitorCode: 'typed', json: 'true', verdicts: 'true' } },
      body: [{ eventType: 'activity', nonce: nonce(99) }],
    } as never);
    expect((report as { data: { accepted: number } }).data.accepted).toBe(1);
  });
});
