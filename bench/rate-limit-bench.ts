/**
 * What a rate limiter costs on the hot path: the same small POST served by three fastify apps on
 * loopback — no limiter (the baseline), @fastify/rate-limit (in-memory store, one budget per client
 * address), and Anole's own fixed-window limiter (src/access/rate-limiter.ts) taking three budgets
 * per request (address, site, key) as the server does. Rounds alternate between the apps so that
 * the machine's noise falls on all of them; each figure is the median of the rounds.
 *
 *   npm run bench:rate-limit -- --connections=16 --seconds=3 --rounds=5
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { createRateLimiter } from '../src/access/rate-limiter.ts';
import { parseArgs, positive } from './bench-args.ts';
import { httpRequest } from './http-request.ts';

const args = parseArgs(process.argv.slice(2));
const CONNECTIONS = Math.floor(positive(args.connections, 16, '--connections'));
const SECONDS = positive(args.seconds, 3, '--seconds');
const ROUNDS = Math.floor(positive(args.rounds, 5, '--rounds'));
const BODY = 'eventType=page&href=https%3A%2F%2Fshop.example%2F&nonce=0123456789ABCDEF&visitorCode=bench';
// Budgets nobody in this benchmark reaches: the cost measured is the bookkeeping, not refusals.
const HUGE = { limit: 1e12, windowMs: 60_000 };

async function app(kind: 'none' | 'plugin' | 'own'): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  if (kind === 'plugin') await server.register(rateLimit, { global: true, max: 1e12, timeWindow: 60_000 });
  if (kind === 'own') {
    const limiter = createRateLimiter({ now: Date.now, maxKeys: 100_000 });
    server.addHook('onRequest', async (request, reply) => {
      const site = (request.query as { siteCode?: string }).siteCode ?? '';
      for (const key of [`a:${request.ip}`, `s:${site}`, `k:none`]) {
        const taken = limiter.take(key, HUGE);
        if (!taken.ok) return reply.status(429).header('Retry-After', Math.ceil(taken.retryAfterMs / 1000)).send({ message: 'slow down', code: 'rate_limited' });
      }
    });
  }
  server.post('/visit/events', async (_request, reply) => reply.status(204).send());
  await server.listen({ host: '127.0.0.1', port: 0 });
  return server;
}

async function load(server: FastifyInstance): Promise<number> {
  const target = { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port };
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const until = Date.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) {
        const res = await httpRequest(agent, target, 'POST', '/visit/events?siteCode=bench', BODY);
        if (res.status !== 204) throw new Error(`unexpected ${res.status}: ${res.text}`);
        done++;
      }
    }),
  );
  agent.destroy();
  return done / SECONDS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kinds = ['none', 'plugin', 'own'] as const;
const apps = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await app(k)] as const))) as Record<(typeof kinds)[number], FastifyInstance>;
const figures: Record<string, number[]> = { none: [], plugin: [], own: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) figures[kind]!.push(await load(apps[kind]));
}
for (const server of Object.values(apps)) await server.close();

const baseline = median(figures.none!);
console.log(`rate limiter cost, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s, small POST answered 204 (median req/s)`);
for (const kind of kinds) {
  const value = median(figures[kind]!);
  const label = { none: 'no limiter (baseline)', plugin: '@fastify/rate-limit, 1 budget', own: 'own fixed windows, 3 budgets' }[kind];
  console.log(`  ${label.padEnd(34)} ${value.toFixed(0).padStart(8)} req/s   ${(value / baseline).toFixed(3)}x baseline   rounds: ${figures[kind]!.map((v) => v.toFixed(0)).join(' ')}`);
}
