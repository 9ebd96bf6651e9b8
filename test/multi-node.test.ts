import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testPostgres, type TestDatabase } from './helpers/postgres-database.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { random, roundDeep, startServerChild, type ServerChild } from './helpers/server-child.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Several stateless nodes on one PostgreSQL: concurrent clients post overlapping visitors and
 * duplicate deliveries to different nodes, one node is killed with SIGKILL mid-load and restarted.
 * Every acknowledged event must be stored exactly once, and the visits and experiment results must
 * equal those a single SQLite node computes from the same events.
 */
const server = testPostgres();
const SITE = 'multinode';
const NODES = 3;
const VISITORS = 120;
const USERS = 20;
const EVENTS_PER_VISITOR = 24;
const CLIENTS = 8;
const ADMIN_KEY = 'multi-node-test-admin-key-0123456789';

interface Sent {
  line: string;
  /** (id_kind, identity, nonce) as the store keys it. */
  key: string;
}

/** A day of traffic: pages, exposures, conversions, logins (links) and events sent by user id. */
function makeEvents(now: number): { events: Sent[]; visitorCodes: string[]; users: string[] } {
  const rand = random(42);
  const events: Sent[] = [];
  let n = 0;
  const nonce = () => (++n).toString(16).padStart(16, '0');
  const add = (kind: 0 | 1, identity: string, fields: string, time: number) => {
    const id = nonce();
    const param = kind === 0 ? 'visitorCode' : 'mappingValue';
    events.push({ line: `${fields}&nonce=${id}&${param}=${encodeURIComponent(identity)}&time=${time}`, key: `${kind}|${identity}|${id}` });
  };
  const visitorCodes = Array.from({ length: VISITORS }, (_, i) => `vc-${i}`);
  const users = Array.from({ length: USERS }, (_, i) => `user${i}@example.com`);
  for (const [i, code] of visitorCodes.entries()) {
    let time = now - 20 * 3_600_000 + Math.floor(rand() * 3_600_000);
    for (let k = 0; k < EVENTS_PER_VISITOR; k++) {
      // Mostly short gaps, sometimes more than the 30-minute visit timeout.
      time += rand() < 0.12 ? 35 * 60_000 + Math.floor(rand() * 3_600_000) : Math.floor(rand() * 120_000);
      const roll = rand();
      if (k === 3 && i % 3 === 0) {
        const user = users[i % USERS]!;
        add(0, code, `eventType=customData&index=1&valuesCountMap=${encodeURIComponent(JSON.stringify({ [user]: 1 }))}&mappingIdentifier=true`, time);
      } else if (k === 1) add(0, code, `eventType=experiment&id=${10 + (i % 2)}&variationId=${i % 3}`, time);
      else if (roll < 0.1) add(1, users[i % USERS]!, `eventType=conversion&goalId=7&revenue=${(rand() * 100).toFixed(2)}`, time);
      else if (roll < 0.25) add(0, code, `eventType=conversion&goalId=${3 + (k % 2)}&revenue=${(rand() * 50).toFixed(2)}`, time);
      else add(0, code, `eventType=page&href=${encodeURIComponent(`https://shop.example/p/${k}`)}&title=P${k}`, time);
    }
  }
  return { events, visitorCodes, users };
}

type Node = ServerChild;

// Every node of a fleet hashes keys with the same secret.
const startNode = (databaseUrl: string, dataDir: string): Promise<Node> =>
  startServerChild({
    DATABASE_URL: databaseUrl,
    ANOLE_DATA_DIR: dataDir,
    ANOLE_ADMIN_KEY: ADMIN_KEY,
    ANOLE_KEY_SECRET: 'fleet-key-secret-0123456789abcdefghijklmnop',
    ANOLE_PG_POOL_SIZE: '4',
  });

/** Posts until some node acknowledges (2xx): a node that is down or failing is retried elsewhere. */
async function postUntilAcknowledged(nodes: (Node | null)[], first: number, body: string): Promise<{ accepted: number; attempts: number }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const node = nodes[(first + attempt) % nodes.length];
    if (!node) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    try {
      const response = await fetch(`${node.url}/visit/events?siteCode=${SITE}&verdicts=true`, { method: 'POST', body, signal: AbortSignal.timeout(15_000) });
      if (response.ok) {
        const report = (await response.json()) as { accepted: number; rejected: number };
        if (report.rejected > 0) throw new Error(`unexpected rejections: ${JSON.stringify(report)}`);
        return { accepted: report.accepted, attempts: attempt + 1 };
      }
      await response.body?.cancel();
    } catch (error) {
      if ((error as Error).message.startsWith('unexpected')) throw error;
      // Connection refused or reset: the node died under us; try the next one.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no node acknowledged after 200 attempts');
}

async function visitorJson(url: string, param: 'visitorCode' | 'mappingValue', value: string): Promise<unknown> {
  const response = await fetch(
    `${url}/visit/visitor?siteCode=${SITE}&${param}=${encodeURIComponent(value)}&maxNumberPreviousVisits=25&currentVisit=true&all=true`,
  );
  expect(response.status).toBe(200);
  return response.json();
}

/** Results once no recomputation is pending, without the fields that say when they were read. */
async function settledResults(url: string, adminKey: string, experiment: number, level: string): Promise<unknown> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await fetch(`${url}/api/sites/${SITE}/experiments/${experiment}/results?level=${level}`, {
      headers: { Authorization: `Bearer ${adminKey}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { pendingRecomputations: number };
    if (body.pendingRecomputations === 0) return { ...body, pendingRecomputations: undefined };
    if (Date.now() > deadline) throw new Error(`results of ${url} still pending after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!server.adminUrl)(`multi-node ingestion on one PostgreSQL${server.skip ? ` (skipped: ${server.skip})` : ''}`, () => {
  let database: TestDatabase;
  const temp = makeTempDir();
  const nodes: (Node | null)[] = [];
  const children: ChildProcess[] = [];
  let reference: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase(server.adminUrl!);
    // All three start at once: migrations must serialise on the advisory lock.
    const started = await Promise.all(Array.from({ length: NODES }, (_, i) => startNode(database.url, path.join(temp.dir, `node${i}`))));
    for (const node of started) {
      nodes.push(node);
      children.push(node.child);
    }
    reference = await startTestServer();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await reference?.stop();
    await database?.drop();
    temp.remove();
  });

  it('stores every acknowledged event once across nodes, through a SIGKILL, with the visits and results of a single SQLite node', { timeout: 170_000 }, async () => {
    const now = Date.now();
    const { events, visitorCodes, users } = makeEvents(now);
    const rand = random(7);

    // Shuffled batches; a third also delivered to a second node at the same time, and some lines
    // repeated inside other batches: every event reaches the cluster more than once in places.
    const shuffled = [...events].sort(() => rand() - 0.5);
    const batches: { lines: string[]; node: number; twin: number | null }[] = [];
    for (let i = 0; i < shuffled.length; ) {
      const size = 1 + Math.floor(rand() * 40);
      const lines = shuffled.slice(i, i + size).map((e) => e.line);
      if (rand() < 0.2) lines.push(shuffled[Math.floor(rand() * shuffled.length)]!.line);
      const node = Math.floor(rand() * NODES);
      batches.push({ lines, node, twin: rand() < 0.33 ? (node + 1 + Math.floor(rand() * (NODES - 1))) % NODES : null });
      i += size;
    }

    let next = 0;
    let done = 0;
    let accepted = 0;
    let retried = 0;
    const killAt = Math.floor(batches.length * 0.4);
    let killed: Promise<void> | null = null;
    const killAndRestart = async () => {
      const victim = nodes[1]!;
      nodes[1] = null;
      victim.child.kill('SIGKILL');
      await new Promise((r) => victim.child.once('exit', r));
      await new Promise((r) => setTimeout(r, 500));
      const restarted = await startNode(database.url, path.join(temp.dir, 'node1'));
      children.push(restarted.child);
      nodes[1] = restarted;
    };

    const client = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const body = batch.lines.join('\n');
        const sends = [postUntilAcknowledged(nodes, batch.node, body)];
        if (batch.twin !== null) sends.push(postUntilAcknowledged(nodes, batch.twin, body));
        for (const result of await Promise.all(sends)) {
          accepted += result.accepted;
          retried += result.attempts - 1;
        }
        done += 1;
        if (done === killAt) killed = killAndRestart();
      }
    };
    // The kill lands while the other clients' requests are in flight on that node.
    await Promise.all(Array.from({ length: CLIENTS }, client));
    await killed;

    // Exactly once: every event sent is stored, once, and nothing else is.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ id_kind: number; identity: string; nonce: string }>('SELECT id_kind, identity, nonce FROM events');
      const stored = rows.map((r) => `${r.id_kind}|${r.identity}|${r.nonce}`);
      const sent = new Set(events.map((e) => e.key));
      expect(stored.length).toBe(sent.size);
      expect(new Set(stored)).toEqual(sent);
      const counter = await db.query<{ n: string }>("SELECT sum(value) AS n FROM counters WHERE name = 'events'");
      expect(Number(counter.rows[0]!.n)).toBe(sent.size);
      // A request cut off by the kill may have committed before its answer was lost: its retry then
      // answers duplicate, so acknowledged-as-accepted can fall short of stored, never exceed it.
      expect(accepted).toBeLessThanOrEqual(sent.size);
      expect(accepted).toBeGreaterThan(sent.size * 0.9);
    } finally {
      await db.end();
    }
    expect(retried).toBeGreaterThan(0);

    // The same events, once each, through one SQLite node.
    for (let i = 0; i < events.length; i += 500) {
      const response = await fetch(`${reference.url}/visit/events?siteCode=${SITE}`, {
        method: 'POST',
        body: events
          .slice(i, i + 500)
          .map((e) => e.line)
          .join('\n'),
      });
      expect(response.status).toBe(204);
    }

    const node = nodes[0]!;
    const queries: ['visitorCode' | 'mappingValue', string][] = [
      ...visitorCodes.map((v): ['visitorCode', string] => ['visitorCode', v]),
      ...users.map((u): ['mappingValue', string] => ['mappingValue', u]),
    ];
    for (const [param, value] of queries) {
      const [fromCluster, fromSqlite] = await Promise.all([visitorJson(node.url, param, value), visitorJson(reference.url, param, value)]);
      expect(fromCluster, `${param}=${value}`).toEqual(fromSqlite);
    }
    const sample = (await visitorJson(node.url, 'visitorCode', 'vc-0')) as { previousVisits?: unknown[] };
    expect(sample.previousVisits?.length ?? 0).toBeGreaterThan(0);

    // Results, recomputed by the cluster's workers (one node was killed mid-round), equal SQLite's.
    await reference.settle();
    for (const experiment of [10, 11]) {
      for (const level of ['visitor', 'visit']) {
        const [fromCluster, fromSqlite] = await Promise.all([
          settledResults(node.url, ADMIN_KEY, experiment, level),
          settledResults(reference.url, reference.adminKey, experiment, level),
        ]);
        expect(roundDeep(fromCluster), `experiment ${experiment}, ${level} level`).toEqual(roundDeep(fromSqlite));
      }
    }
  });
});
