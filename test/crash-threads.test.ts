import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.ts';
import { random, roundDeep, startServerChild, type ServerChild } from './helpers/server-child.ts';

/**
 * SIGKILL of a SQLite node while each of its threads is at work: the writer committing appends
 * (merges of the key index running between commits, every 300 events here), the query thread
 * answering visitor reads, the attribution thread recomputing every person after a settings
 * change. After each restart, every acknowledged event is there once, and at the end the node's
 * counts, visits and results equal those of a node that received every event once, calmly.
 */
const SITE = 'crash';
const ADMIN_KEY = 'crash-test-admin-key-0123456789abcdef';
const EXPERIMENT = 21;
const VISITORS = 300;

interface Batch {
  body: string;
  /** Events in the body, each (identity, nonce) once. */
  keys: string[];
}

/** Pages, exposures, purchases, logins and offline sales by user id, for 300 visitors over a day. */
function makeBatches(now: number): { batches: Batch[]; codes: string[] } {
  const rand = random(11);
  const lines: { line: string; key: string }[] = [];
  let n = 0;
  const codes = Array.from({ length: VISITORS }, (_, i) => `c${i}`);
  for (const [i, code] of codes.entries()) {
    let time = now - 20 * 3_600_000 + Math.floor(rand() * 3_600_000);
    for (let k = 0; k < 40; k++) {
      time += rand() < 0.1 ? 40 * 60_000 + Math.floor(rand() * 3_600_000) : Math.floor(rand() * 60_000);
      const nonce = (++n).toString(16).padStart(16, '0');
      let fields: string;
      let identity = `visitorCode=${code}`;
      if (k === 1) fields = `eventType=experiment&id=${EXPERIMENT}&variationId=${i % 2}`;
      else if (k === 4 && i % 5 === 0) fields = `eventType=customData&index=1&valuesCountMap=${encodeURIComponent(JSON.stringify({ [`u${i % 30}`]: 1 }))}&mappingIdentifier=true`;
      else if (rand() < 0.08) {
        fields = `eventType=conversion&goalId=3&revenue=${(rand() * 90).toFixed(2)}`;
        if (i % 5 === 0 && rand() < 0.5) identity = `mappingValue=u${i % 30}`;
      } else fields = `eventType=page&href=${encodeURIComponent(`https://shop.example/p/${k}`)}&title=P`;
      lines.push({ line: `${fields}&nonce=${nonce}&${identity}&time=${time}`, key: `${identity}|${nonce}` });
    }
  }
  const shuffled = [...lines].sort(() => rand() - 0.5);
  const batches: Batch[] = [];
  for (let i = 0; i < shuffled.length; i += 50) {
    const part = shuffled.slice(i, i + 50);
    batches.push({ body: part.map((l) => l.line).join('\n'), keys: part.map((l) => l.key) });
  }
  return { batches, codes };
}

const api = (url: string) => ({
  post: (body: string) => fetch(`${url}/visit/events?siteCode=${SITE}&verdicts=true`, { method: 'POST', body, signal: AbortSignal.timeout(20_000) }),
  visitor: async (code: string) => {
    const r = await fetch(`${url}/visit/visitor?siteCode=${SITE}&visitorCode=${code}&maxNumberPreviousVisits=25&currentVisit=true&all=true`);
    expect(r.status).toBe(200);
    return r.json();
  },
  admin: (pathname: string, init: RequestInit = {}) => fetch(`${url}${pathname}`, { ...init, headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' } }),
  metrics: async () => (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).text(),
  backlog: async () => Number(/^anole_dirty_backlog (\S+)$/m.exec(await api(url).metrics())?.[1] ?? NaN),
});

async function settle(url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await api(url).backlog()) > 0) {
    if (Date.now() > deadline) throw new Error('the attribution worker did not catch up in 90 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function results(url: string): Promise<unknown> {
  await settle(url);
  const r = await api(url).admin(`/api/sites/${SITE}/experiments/${EXPERIMENT}/results?level=visitor`);
  expect(r.status).toBe(200);
  const body = (await r.json()) as Record<string, unknown>;
  return roundDeep({ ...body, pendingRecomputations: undefined });
}

describe('SIGKILL while each thread of a SQLite node works', () => {
  const temp = makeTempDir();
  const children: ServerChild[] = [];
  const start = async (dir: string) => {
    const node = await startServerChild({ ANOLE_DATA_DIR: path.join(temp.dir, dir), ANOLE_ADMIN_KEY: ADMIN_KEY, ANOLE_SQLITE_KEY_MERGE_AT: '300' });
    children.push(node);
    return node;
  };
  afterAll(async () => {
    for (const child of children) await child.kill();
    temp.remove();
  });

  it('keeps every acknowledged event once and converges to the results of a calm node', { timeout: 240_000 }, async () => {
    const { batches, codes } = makeBatches(Date.now());
    const acknowledged = new Set<number>();
    const sent = new Set<number>();
    let node = await start('crashing');
    let next = 0;

    /** Posts batches from `clients` connections until `stop()`; a kill ends them with errors. */
    const posting = (clients: number) => {
      let stopped = false;
      const run = async () => {
        while (!stopped && next < batches.length) {
          const i = next++;
          sent.add(i);
          try {
            const r = await api(node.url).post(batches[i]!.body);
            if (r.status === 200) acknowledged.add(i);
            await r.body?.cancel();
          } catch {
            // Killed under us: this batch may or may not have committed; it is sent again at the end.
          }
        }
      };
      const all = Promise.all(Array.from({ length: clients }, run));
      return async () => {
        stopped = true;
        await all;
      };
    };
    const restartAfterKill = async () => {
      await node.kill();
      node = await start('crashing');
      // Whatever was acknowledged before the kill is there, once: sent again, it is all duplicate.
      for (const i of acknowledged) {
        const r = await api(node.url).post(batches[i]!.body);
        const report = (await r.json()) as { accepted: number; duplicate: number };
        expect(report).toMatchObject({ accepted: 0, duplicate: batches[i]!.keys.length });
      }
    };

    // 1. The writer: appends from 8 connections, merges every 300 events, killed mid-stream.
    let stop = posting(8);
    while (acknowledged.size < 40) await new Promise((r) => setTimeout(r, 10));
    const killWriter = node.kill();
    await stop();
    await killWriter;
    await restartAfterKill();

    // 2. The query thread: 8 connections reading visitors while 2 post, killed with reads in flight.
    stop = posting(2);
    let reading = true;
    let reads = 0;
    const readers = Promise.all(
      Array.from({ length: 8 }, async (_, k) => {
        for (let j = k; reading; j += 8) {
          try {
            await api(node.url).visitor(codes[j % codes.length]!);
            reads += 1;
          } catch {
            return;
          }
        }
      }),
    );
    while (reads < 200) await new Promise((r) => setTimeout(r, 5));
    await node.kill();
    reading = false;
    await Promise.all([stop(), readers]);
    await restartAfterKill();

    // 3. The attribution thread: the rest of the events, then a settings change that recomputes every
    // person, killed while the worker works through the backlog.
    stop = posting(8);
    await stop();
    await settle(node.url);
    const patch = { attributionWindowMs: 3 * 86_400_000 };
    expect((await api(node.url).admin(`/api/sites/${SITE}`, { method: 'PATCH', body: JSON.stringify(patch) })).status).toBe(200);
    let backlog = 0;
    for (let tries = 0; tries < 200 && backlog === 0; tries++) backlog = await api(node.url).backlog();
    expect(backlog).toBeGreaterThan(0);
    await node.kill();
    await restartAfterKill();

    // Everything sent, including what a kill cut off, once more: nothing is stored twice.
    for (let i = 0; i < batches.length; i++) expect((await api(node.url).post(batches[i]!.body)).status).toBe(200);
    const calm = await start('calm');
    expect((await api(calm.url).admin(`/api/sites/${SITE}`, { method: 'PATCH', body: JSON.stringify(patch) })).status).toBe(200);
    for (const batch of batches) expect((await api(calm.url).post(batch.body)).status).toBe(200);

    const eventsOf = async (url: string) => Number(/^anole_store_events (\S+)$/m.exec(await api(url).metrics())?.[1]);
    const distinct = new Set(batches.flatMap((b) => b.keys)).size;
    expect(await eventsOf(node.url)).toBe(distinct);
    expect(await eventsOf(calm.url)).toBe(distinct);
    expect(await results(node.url)).toEqual(await results(calm.url));
    for (const code of codes.filter((_, i) => i % 7 === 0)) expect(await api(node.url).visitor(code)).toEqual(await api(calm.url).visitor(code));
  });
});
