import zlib from 'node:zlib';
import type { Random } from './random.ts';
import { hostileJson, hostileNumber, hostileText, jsonText, nestedText, percentEncode, safeEncode } from './values.ts';

/** One operation of the OpenAPI document: what the generator needs to aim at it. */
export interface RouteInfo {
  method: string;
  /** The OpenAPI path, `{name}` for a path parameter. */
  path: string;
  params: string[];
  /** Query parameters with their schema. */
  query: Record<string, { type?: string; pattern?: string; enum?: unknown[] }>;
  hasBody: boolean;
}

/** Every operation of the app's own OpenAPI document, so a new route is fuzzed without a change here. */
export function routesOf(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: object }[]; requestBody?: unknown }>> }): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const parameters = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(parameters.filter((p) => p.in === 'query').map((p) => [p.name, (p.schema ?? {}) as RouteInfo['query'][string]])),
        hasBody: op.requestBody !== undefined || ['POST', 'PUT', 'PATCH'].includes(method.toUpperCase()),
      });
    }
  }
  return routes;
}

export interface HttpCase {
  kind: 'http';
  /** The operation aimed at (`METHOD /path`), or `random` for a path no route serves. */
  target: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: Buffer;
}

const SITES = ['fz1', 'fz2', 'fz3'];
const EVENT_TYPES = ['conversion', 'customData', 'page', 'experiment', 'personalization', 'targetingSegment', 'staticData', 'geolocation', 'activity'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

const pickSite = (r: Random) => (r.chance(0.9) ? r.pick(SITES) : hostileText(r).slice(0, 100));
const visitor = (r: Random) => (r.chance(0.85) ? `v${r.int(0, 60)}` : hostileText(r).slice(0, 300));
const user = (r: Random) => (r.chance(0.85) ? `u${r.int(0, 20)}@example.com` : hostileText(r).slice(0, 300));
const nonce = (r: Random) => (r.chance(0.92) ? Array.from({ length: 16 }, () => '0123456789abcdefABCDEF'[r.int(0, 21)]).join('') : hostileText(r).slice(0, 40));
const small = (r: Random) => (r.chance(0.8) ? r.int(0, 12) : hostileNumber(r));

/** The fields of one event: mostly valid for its type, with hostile values mixed in. */
function eventFields(r: Random): Record<string, unknown> {
  const type = r.chance(0.92) ? r.pick(EVENT_TYPES) : hostileText(r).slice(0, 200);
  const f: Record<string, unknown> = { eventType: r.chance(0.2) ? type.toUpperCase() : type, nonce: nonce(r) };
  if (r.chance(0.7)) f[r.chance(0.8) ? 'visitorCode' : 'mappingValue'] = r.chance(0.7) ? visitor(r) : user(r);
  if (r.chance(0.2)) f.time = r.weighted<() => unknown>([[3, () => Date.now() - r.int(0, 40) * 86_400_000], [1, () => hostileNumber(r)]])();
  const value = () => (r.chance(0.8) ? small(r) : hostileText(r));
  switch (type) {
    case 'conversion':
      f.goalId = value();
      if (r.chance(0.6)) f.revenue = r.chance(0.7) ? (r.next() * 100).toFixed(2) : hostileNumber(r);
      if (r.chance(0.2)) f.negative = r.pick(['true', 'false', 'maybe', 1]);
      if (r.chance(0.2)) f.metadata = r.chance(0.5) ? { '1': [hostileText(r).slice(0, 50)] } : hostileJson(r);
      break;
    case 'customData':
      f.index = value();
      f.valuesCountMap = r.chance(0.7) ? { [r.chance(0.7) ? user(r) : hostileText(r).slice(0, 2000)]: 1 } : hostileJson(r);
      if (r.chance(0.4)) f.mappingIdentifier = r.pick(['true', 'false', true, 'x']);
      break;
    case 'page':
      f.href = r.chance(0.8) ? `https://shop.example/p/${r.int(0, 9)}` : hostileText(r);
      if (r.chance(0.4)) f.title = hostileText(r).slice(0, 1100);
      if (r.chance(0.2)) f.referrersIndices = r.chance(0.5) ? [1, 2] : hostileJson(r);
      break;
    case 'experiment':
    case 'personalization':
      f.id = value();
      f.variationId = value();
      break;
    case 'targetingSegment':
      f.id = value();
      break;
    case 'staticData':
      f[r.pick(['deviceType', 'browser', 'browserIndex', 'os', 'osIndex', 'visitNumber', 'browserVersion'])] = value();
      break;
    case 'geolocation':
      f.country = hostileText(r).slice(0, 1100);
      if (r.chance(0.5)) f.latitude = hostileNumber(r);
      break;
  }
  for (let i = r.int(0, 2); i > 0; i--) f[hostileText(r).slice(0, 30)] = hostileText(r).slice(0, 100);
  return f;
}

/** A line-format line: `name=value&...`, values percent-encoded (structured ones as JSON). */
function eventLine(r: Random): string {
  const parts = Object.entries(eventFields(r)).map(([name, value]) => {
    const text = typeof value === 'string' ? value : jsonText(r, value);
    return `${percentEncode(r, name)}=${percentEncode(r, text)}`;
  });
  return r.chance(0.05) ? `${parts.join('&')}&userAgent=Mozilla/5.0 (X11; a&b=c)` : parts.join('&');
}

/** Characters of a value once in a body, roughly: enough to keep a body near its budget. */
function approximateSize(value: unknown): number {
  if (typeof value === 'string') return value.length + 3;
  if (typeof value !== 'object' || value === null) return 8;
  let size = 2;
  for (const item of Object.values(value)) size += approximateSize(item) + 8;
  return size;
}

/** Items made until `count` or `budget` characters, whichever comes first: big bodies stay near the limit. */
function upTo<T>(count: number, budget: number, make: () => T, size: (item: T) => number): T[] {
  const items: T[] = [];
  for (let used = 0; items.length < count && used < budget; ) {
    const item = make();
    used += size(item);
    items.push(item);
  }
  return items;
}

function eventsBody(r: Random, json: boolean): string {
  // Mostly a few events; now and then many, and rarely a body at the limit (it costs the server
  // hundreds of milliseconds legitimately, so a run of a million has a few hundred of them).
  const count = r.weighted([[2000, r.int(0, 8)], [100, r.int(9, 200)], [3, r.int(1_000, 40_000)]]);
  const budget = r.weighted([[2000, 4 * 1024], [100, 32 * 1024], [2, 3.3 * 1024 * 1024]]);
  if (json) {
    if (r.chance(0.05)) return jsonText(r, hostileJson(r));
    return jsonText(r, upTo(count, budget, () => (r.chance(0.95) ? eventFields(r) : hostileJson(r)), approximateSize));
  }
  const lines = upTo(count, budget, () => (r.chance(0.95) ? eventLine(r) : hostileText(r)), (line) => line.length + 1);
  if (r.chance(0.002)) lines.push('x'.repeat(70_000));
  return lines.join(r.pick(['\n', '\r\n', '\n\n', '\r']));
}

function mapsBody(r: Random): string {
  const keys = Array.from({ length: r.int(0, 6) }, () => [
    r.chance(0.8) ? `k${r.int(0, 30)}` : hostileText(r).slice(0, 120),
    r.chance(0.85) ? Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.chance(0.7) ? `f${r.int(0, 5)}` : hostileText(r).slice(0, 1100), r.chance(0.2) ? null : hostileJson(r)])) : hostileJson(r),
  ]);
  if (r.chance(0.001)) keys.push(['big', { v: 'x'.repeat(r.int(500_000, 1_100_000)) }]);
  return jsonText(r, Object.fromEntries(keys));
}

function forgetBody(r: Random): string {
  const count = r.weighted([[400, r.int(0, 20)], [1, r.int(1_000, 10_500)]]);
  return upTo(count, 1.1 * 1024 * 1024, () => (r.chance(0.9) ? visitor(r) : hostileText(r).slice(0, 300)), (code) => code.length + 1).join(r.pick(['\n', '\r\n']));
}

/** A body for an admin route: a plausible object of its fields, or anything at all. */
function adminBody(r: Random): string {
  const plausible = {
    name: r.chance(0.8) ? `Thing ${r.int(0, 9)}` : hostileText(r),
    ...(r.chance(0.3) ? { kind: r.pick(['conversion', 'revenue', 'engagement', 'custom', hostileText(r)]) } : {}),
    ...(r.chance(0.3) ? { variations: Array.from({ length: r.int(0, 4) }, () => ({ id: small(r), name: hostileText(r).slice(0, 210) })) } : {}),
    ...(r.chance(0.3) ? { referenceVariationId: small(r) } : {}),
    ...(r.chance(0.3) ? { trafficSplit: Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.chance(0.8) ? String(r.int(0, 5)) : hostileText(r).slice(0, 50), hostileNumber(r)])) } : {}),
    ...(r.chance(0.2) ? { analysisPeriod: { start: hostileNumber(r), end: hostileNumber(r) } } : {}),
    ...(r.chance(0.2) ? { status: r.pick(['draft', 'running', 'paused', 'stopped', hostileText(r)]) } : {}),
    ...(r.chance(0.2) ? { [r.pick(['visitTimeoutMs', 'attributionWindowMs', 'lateEventHorizonMs'])]: hostileNumber(r) } : {}),
    ...(r.chance(0.1) ? { [r.pick(['privateIngest', 'privateReads', 'openForget'])]: r.pick([true, false, 'yes']) } : {}),
    ...(r.chance(0.2) ? { role: r.pick(['admin', 'read', 'site', hostileText(r)]), label: hostileText(r).slice(0, 300), site: pickSite(r) } : {}),
  };
  return jsonText(r, r.chance(0.85) ? plausible : hostileJson(r));
}

function bodyFor(r: Random, route: RouteInfo | null, query: Record<string, string>): string {
  if (!route || r.chance(0.05)) return r.chance(0.5) ? hostileText(r) : Buffer.from(Array.from({ length: r.int(0, 4096) }, () => r.int(0, 255))).toString('latin1');
  if (route.path === '/visit/events') return eventsBody(r, query.json === 'true' || query.json === '1');
  if (route.path === '/map/maps') return mapsBody(r);
  if (route.path === '/visit/forget') return forgetBody(r);
  if (route.path.includes('/imports')) return Array.from({ length: r.int(0, 50) }, () => [visitor(r), nonce(r), small(r), hostileText(r).slice(0, 50)].join(',')).join('\n');
  return adminBody(r);
}

/** A query value for a parameter of this schema: a valid-looking one, or a hostile one. */
function queryValue(r: Random, name: string, schema: RouteInfo['query'][string]): string {
  if (r.chance(0.25)) return hostileText(r);
  if (name === 'siteCode') return pickSite(r);
  if (name === 'visitorCode') return visitor(r);
  if (name === 'mappingValue') return user(r);
  if (name === 'key') return `k${r.int(0, 30)}`;
  if (name === 'keys') return JSON.stringify(Array.from({ length: r.int(1, r.chance(0.05) ? 120 : 8) }, () => (r.chance(0.9) ? `k${r.int(0, 30)}` : hostileText(r).slice(0, 120))));
  if (schema.enum) return String(r.pick(schema.enum));
  if (schema.pattern?.includes('[Tt][Rr][Uu][Ee]')) return r.pick(['true', 'false', '1', '0', '', 'TRUE']);
  if (name === 'confidence') return r.pick(['0.95', '0.5', '.99', '0.999999', '1', '0']);
  return r.pick(['1', '5', '25', '100', '0', '']);
}

function compress(r: Random, body: Buffer, headers: Record<string, string>): Buffer {
  const coding = r.weighted<string>([[20, ''], [3, 'gzip'], [2, 'deflate'], [1, 'deflate-raw'], [1, 'bomb'], [1, 'liar'], [1, 'other']]);
  if (coding === '') return body;
  if (coding === 'gzip') return (headers['content-encoding'] = r.pick(['gzip', 'x-gzip', 'GZIP']), zlib.gzipSync(body));
  if (coding === 'deflate') return (headers['content-encoding'] = 'deflate', zlib.deflateSync(body));
  if (coding === 'deflate-raw') return (headers['content-encoding'] = 'deflate', zlib.deflateRawSync(body));
  if (coding === 'bomb') {
    headers['content-encoding'] = 'gzip';
    return BOMB;
  }
  if (coding === 'liar') return (headers['content-encoding'] = r.pick(['gzip', 'deflate']), body);
  headers['content-encoding'] = r.pick(['br', 'zstd', 'compress', 'gzip, gzip', 'identity', 'chunked', hostileText(r).slice(0, 60)]);
  return body;
}

/** Eight gzip members of 2 MB of zeros each: 16 MB once inflated, past every route's limit. */
const BOMB = Buffer.concat(Array.from({ length: 8 }, () => zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024))));

function pathOf(r: Random, route: RouteInfo): string {
  return route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = name === 'siteCode' ? pickSite(r) : r.chance(0.8) ? String(r.int(0, 20)) : hostileText(r).slice(0, 200);
    return r.chance(0.9) ? safeEncode(value) : value.replace(/[/?#\s]/g, '');
  });
}

/** What an HTTP header can carry (tab, visible ASCII, Latin-1): the rest never gets past the parser. */
function headerValue(value: string): string {
  return [...value].filter((c) => c === '\t' || (c >= ' ' && c !== '\u007f' && c <= '\u00ff')).join('');
}

/** Operations routes (/health, /metrics, /openapi.json) are cheap to get right and costly to serve: picked a fifth as often. */
function pickRoute(r: Random, routes: readonly RouteInfo[]): RouteInfo {
  for (;;) {
    const route = r.pick(routes);
    if (route.path.startsWith('/visit') || route.path.startsWith('/map') || route.path.startsWith('/api') || r.chance(0.2)) return route;
  }
}

/** One request: a route of the app (or none), its query, headers, body and encoding, all generated. */
export function httpCase(r: Random, routes: readonly RouteInfo[], adminKey: string): HttpCase {
  const route = r.chance(0.97) ? pickRoute(r, routes) : null;
  const method = route && r.chance(0.95) ? route.method : r.pick(METHODS);
  const query: Record<string, string> = {};
  const parts: string[] = [];
  if (route) {
    for (const [name, schema] of Object.entries(route.query)) {
      if (name === 'siteCode' ? r.chance(0.97) : r.chance(0.35)) {
        const value = queryValue(r, name, schema);
        query[name] = value;
        parts.push(`${name}=${percentEncode(r, value)}`);
      }
    }
  }
  for (let i = r.weighted([[40, 0], [6, r.int(1, 5)], [1, r.int(200, 400)]]); i > 0; i--) {
    const name = r.chance(0.5) && route ? r.pick([...Object.keys(route.query), 'x']) : hostileText(r).slice(0, 40);
    parts.push(`${percentEncode(r, name)}=${percentEncode(r, hostileText(r).slice(0, i > 5 ? 8 : 200))}`);
  }
  const path = route ? pathOf(r, route) : `/${hostileText(r).slice(0, 100).replace(/[?#\s]/g, '')}`;
  const url = `${path}${parts.length > 0 || r.chance(0.1) ? '?' : ''}${parts.join(r.chance(0.95) ? '&' : '&&')}`.slice(0, 14_000);

  const headers: Record<string, string> = {};
  const auth = r.weighted<string | null>([[12, `Bearer ${adminKey}`], [4, null], [1, 'Bearer nope-nope-nope-nope'], [1, hostileText(r).slice(0, 300)], [1, `Basic ${Buffer.from('a:b').toString('base64')}`]]);
  if (auth !== null) headers.authorization = headerValue(auth);
  const contentType = r.weighted<string | null>([[6, null], [3, '*/*'], [3, 'application/json'], [2, 'text/plain'], [1, 'text/plain; charset=utf-8'], [1, 'text/plain; charset=ISO-8859-1'], [1, 'text/plain; charset=utf-16le'], [1, 'multipart/form-data; boundary=x'], [1, hostileText(r).slice(0, 100)]]);
  if (contentType !== null) headers['content-type'] = headerValue(contentType);
  if (r.chance(0.05)) headers[r.pick(['origin', 'x-kameleoon-sdk-type', 'if-modified-since', 'user-agent', 'x-forwarded-for'])] = headerValue(hostileText(r).slice(0, 200));

  let payload: Buffer = Buffer.alloc(0);
  if (method !== 'GET' && method !== 'HEAD' && (route?.hasBody || r.chance(0.3))) {
    payload = compress(r, Buffer.from(r.chance(0.001) ? nestedText(50_000, true) : bodyFor(r, route, query), r.chance(0.05) ? 'latin1' : 'utf8'), headers);
  }
  return { kind: 'http', target: route ? `${route.method} ${route.path}` : 'random', method, url, headers, payload };
}
