import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { postEvents, readAll } from './helpers/visit-api.ts';

/**
 * Over real HTTP: for random sets of events (random times, visitor codes, mapping values and
 * types), what GET /visit/visitor answers does not depend on arrival order, on how the events are
 * split across requests (and formats), nor on replays of any request or subset.
 */
const CODES = ['anon-a', 'anon-b', 'anon-c', 'user-1'];
const USERS = ['user-1', 'user-2'];
const HOUR = 3_600_000;

interface GenEvent {
  identity: { kind: 'visitorCode' | 'mappingValue'; value: string };
  fields: Record<string, string | number | boolean>;
  /** Offset before the reference time, in ms. */
  ago: number;
}

const fieldsArb: fc.Arbitrary<Record<string, string | number | boolean>> = fc.oneof(
  fc.record({ eventType: fc.constant('page'), href: fc.constantFrom('/', '/p?a=1&b=2', '/é 🦎'), title: fc.constantFrom('Home', 'A & B', '') }),
  fc.record({ eventType: fc.constant('conversion'), goalId: fc.integer({ min: 1, max: 3 }), revenue: fc.constantFrom(0, 5, 23.5), negative: fc.boolean() }),
  fc.record({ eventType: fc.constant('experiment'), id: fc.constantFrom(4001, 4002), variationId: fc.constantFrom(1, 2) }),
  fc.record({ eventType: fc.constant('staticData'), deviceType: fc.constantFrom('DESKTOP', 'PHONE') }),
  fc.record({ eventType: fc.constant('activity') }),
  fc.record({ eventType: fc.constant('customData'), index: fc.constant(1), valuesCountMap: fc.constantFrom('{"gold":1}', '{"silver":1}') }),
  // A link of the event's visitor code to a user.
  fc.constantFrom(...USERS).map((user) => ({ eventType: 'customData', index: 3, valuesCountMap: JSON.stringify({ [user]: 1 }), mappingIdentifier: true })),
);

/** Times either well in the past (previous visits) or within the last minutes (a current visit), never near the 30-minute edge. */
const agoArb = fc.oneof(fc.integer({ min: 2 * HOUR, max: 3 * 24 * HOUR }), fc.integer({ min: 2 * HOUR, max: 2 * HOUR + 40 * 60_000 }), fc.integer({ min: 0, max: 10 * 60_000 }));

const eventArb: fc.Arbitrary<GenEvent> = fc.record({
  identity: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...CODES).map((value) => ({ kind: 'visitorCode' as const, value })) },
    { weight: 1, arbitrary: fc.constantFrom(...USERS).map((value) => ({ kind: 'mappingValue' as const, value })) },
  ),
  fields: fieldsArb,
  ago: agoArb,
});

interface Plan {
  events: GenEvent[];
  order: number[];
  cuts: number[];
  jsonChunks: boolean[];
  replays: { from: number; to: number }[];
}

const planArb: fc.Arbitrary<Plan> = fc.array(eventArb, { minLength: 1, maxLength: 25 }).chain((events) =>
  fc.record({
    events: fc.constant(events),
    order: fc.shuffledSubarray([...events.keys()], { minLength: events.length }),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, events.length - 1) }), { maxLength: 5 }),
    jsonChunks: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    replays: fc.array(fc.record({ from: fc.nat(events.length - 1), to: fc.nat(events.length) }), { maxLength: 3 }),
  }),
);

function nonceOf(run: number, i: number): string {
  return ((run << 12) + i).toString(16).toUpperCase().padStart(16, '0');
}

function asLine(e: GenEvent, nonce: string, time: number): string {
  const params = { ...e.fields, nonce, [e.identity.kind]: e.identity.value, time };
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

function asJson(e: GenEvent, nonce: string, time: number): Record<string, unknown> {
  return { ...e.fields, nonce, [e.identity.kind]: e.identity.value, time };
}

async function post(url: string, site: string, events: { e: GenEvent; nonce: string; time: number }[], json: boolean): Promise<void> {
  if (events.length === 0) return;
  const body = json ? JSON.stringify(events.map(({ e, nonce, time }) => asJson(e, nonce, time))) : events.map(({ e, nonce, time }) => asLine(e, nonce, time)).join('\n');
  const r = await postEvents(url, `siteCode=${site}${json ? '&json=true' : ''}`, body);
  expect(r.status, r.text).toBe(204);
}

async function answers(url: string, site: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const code of CODES) out[`visitorCode=${code}`] = await readAll(url, site, `visitorCode=${code}`);
  for (const user of USERS) out[`mappingValue=${user}`] = await readAll(url, site, `mappingValue=${user}`);
  return JSON.parse(JSON.stringify(out).replaceAll(`"siteCode":"${site}"`, '"siteCode":"S"')) as Record<string, unknown>;
}

describe('ingestion properties over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers the same visits whatever the order, the split into requests and formats, and the replays', async () => {
    let run = 0;
    let visitsSeen = 0;
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        run += 1;
        const reference = Date.now();
        const stamped = plan.events.map((e, i) => ({ e, nonce: nonceOf(run, i), time: reference - e.ago }));

        // Site A: everything in one request, in generation order.
        const a = `prop-a-${run}`;
        await post(server.url, a, stamped, false);

        // Site B: shuffled, split into chunks of alternating formats, then replays of chunks and of arbitrary subsets.
        const b = `prop-b-${run}`;
        const shuffled = plan.order.map((i) => stamped[i]!);
        const bounds = [0, ...[...plan.cuts].sort((x, y) => x - y).filter((c) => c < shuffled.length), shuffled.length];
        const chunks = bounds.slice(1).map((end, k) => shuffled.slice(bounds[k], end));
        for (const [k, chunk] of chunks.entries()) await post(server.url, b, chunk, plan.jsonChunks[k % 6]!);
        for (const [k, chunk] of [...chunks].reverse().entries()) if (plan.jsonChunks[k % 6]) await post(server.url, b, chunk, k % 2 === 0);
        for (const { from, to } of plan.replays) await post(server.url, b, shuffled.slice(Math.min(from, to), Math.max(from, to)), from % 2 === 0);

        const [answerA, answerB] = [await answers(server.url, a), await answers(server.url, b)];
        expect(answerB).toEqual(answerA);
        visitsSeen += (JSON.stringify(answerA).match(/"timeStarted"/g) ?? []).length;

        // Replaying everything on A once more changes nothing either.
        await post(server.url, a, [...stamped].reverse(), true);
        expect(await answers(server.url, a)).toEqual(answerA);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    // The property held over real data, not over empty answers.
    expect(visitsSeen).toBeGreaterThan(25);
  });
});
