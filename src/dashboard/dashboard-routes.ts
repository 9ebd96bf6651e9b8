import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http/errors.ts';
import { dashboardAssets, type Asset } from './dashboard-assets.ts';

/**
 * The dashboard's policy: scripts, styles, images and API calls from this origin only; no inline
 * script or style, no plugins, no framing, no <base> rewriting, forms post only here.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Every /dashboard/ answer's headers (set for the whole path by http/security-headers.ts). */
export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Page URLs carry visitor codes and user ids: never send them to another site.
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** The encoding to send: brotli, then gzip, unless the client refuses it (q=0) or does not name it. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').slice(0, 1024).split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    accepted.set(token, Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (name: string) => accepted.get(name) ?? (accepted.has('*') ? accepted.get('*')! : 0);
  if (weightOf('br') > 0) return 'br';
  if (weightOf('gzip') > 0) return 'gzip';
  return null;
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  void reply.headers({ 'content-type': asset.contentType, etag: asset.etag, vary: 'Accept-Encoding', 'cache-control': 'no-cache' });
  const match = request.headers['if-none-match'];
  if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) return reply.status(304).send();
  const encoding = pickEncoding(request.headers['accept-encoding']);
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.send(encoding === 'br' ? asset.brotli : encoding === 'gzip' ? asset.gzip : asset.body);
}

/** Page paths (no file extension, outside assets/ and vendor/) all get the one page: the router picks the view. */
function isPagePath(rest: string): boolean {
  if (rest.startsWith('assets/') || rest.startsWith('vendor/')) return false;
  const last = rest.split('/').pop() ?? '';
  return !last.includes('.');
}

/**
 * GET /dashboard/…: the static pages. Every asset comes from the project or its npm dependencies and
 * is served from memory; the pages call /api with the key the user typed. Open to anyone (`public`):
 * the files hold no data, every figure comes from the API, which checks the key.
 */
export function registerDashboard(app: FastifyInstance): void {
  const assets = dashboardAssets();
  const config = { access: 'public' } as const;
  app.register(async (scope) => {
    scope.get('/dashboard', { config, schema: { summary: 'The dashboard (redirects to /dashboard/)', hide: true } }, async (_request, reply) =>
      reply.redirect('/dashboard/', 301),
    );
    scope.get('/dashboard/*', { config, schema: { summary: 'The dashboard: static pages and their assets', hide: true } }, async (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      const table = await assets();
      const asset = table.get(rest);
      if (asset) return sendAsset(request, reply, asset);
      if (isPagePath(rest)) return sendAsset(request, reply, table.get('index.html')!);
      return sendError(reply, 'not_found', `no dashboard file ${rest}`);
    });
  });
}
