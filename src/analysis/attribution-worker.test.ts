import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import type { VisitorEvent } from '../core/events.ts';
import { DEFAULT_QUOTAS, DEFAULT_SITE_SETTINGS } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { markedRound, runAttributionRound, startAttributionWorker, type RoundReport } from './attribution-worker.ts';
import { runRecomputeStep } from './full-recompute.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Days of traffic from 40 devices and 8 users: visits, exposures, purchases and refunds, logins, offline sales by user id. */
function traffic(): VisitorEvent[] {
  const rand = random(7);
  const events: VisitorEvent[] = [];
  let n = 0;
  const base = (kind: 'visitorCode' | 'mappingValue', value: string, time: number) => ({
    identity: { kind, value },
    nonce: (++n).toString(16).padStart(16, '0'),
    time,
    receivedAt: time,
    itp: false,
    sdk: null,
  });
  for (let d = 0; d < 40; d++) {
    const code = `dev${d}`;
    let t = T0 + Math.floor(rand() * 600) * MIN;
    for (let k = 0; k < 30; k++) {
      t += rand() < 0.2 ? (60 + Math.floor(rand() * 3000)) * MIN : Math.floor(rand() * 20) * MIN;
      const r = rand();
      if (k === 2 && d % 4 === 0) {
        events.push({ ...base('visitorCode', code, t), type: 'customData', data: { index: 1, valuesCountMap: { [`user${d % 8}`]: 1 }, overwrite: true, mappingIdentifier: true } });
      } else if (r < 0.15) events.push({ ...base('visitorCode', code, t), type: 'experiment', data: { id: 3, variationId: d % 2 } });
      else if (r < 0.3) events.push({ ...base('visitorCode', code, t), type: 'conversion', data: { goalId: 1, revenue: Math.floor(rand() * 100), negative: rand() < 0.1, metadata: {} } });
      else if (r < 0.35) events.push({ ...base('mappingValue', `user${d % 8}`, t), type: 'conversion', data: { goalId: 2, revenue: 50, negative: false, metadata: {} } });
      else events.push({ ...base('visitorCode', code, t), type: 'page', data: { href: 'https://x/', canonicalHref: null, title: '', keyPagesIndices: [], referrerHref: null, referrersIndices: [] } });
    }
  }
  return events;
}

async function settle(storage: Storage, totals = { persons: 0, incremental: 0 }) {
  for (let i = 0; i < 1000 && (await storage.dirtyBacklog()) > 0; i++) {
    // Marks are claimable from their events' receive time on: claim as if much later.
    const report = await runAttributionRound(storage, { batch: 50, leaseMs: 60_000, now: () => T0 + 1_000 * 1_440 * MIN, quotas: DEFAULT_QUOTAS });
    totals.persons += report.persons;
    totals.incremental += report.incremental;
  }
  return totals;
}

const rounded = (m: Map<string, number[]>) =>
  new Map([...m].filter(([, v]) => v.some((x) => Math.abs(x) > 1e-9)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.map((x) => Math.round(x * 1e6) / 1e6 + 0)]));

describe('attribution worker: incremental updates', () => {
  const temp = makeTempDir();
  const stores: Storage[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = (name: string) => {
    const s = openSqliteStorage({ file: path.join(temp.dir, `${name}.db`), cacheMb: 8 });
    stores.push(s);
    return s;
  };

  it('ends with the results of one recomputation from every event, whatever the order and split of arrival', async () => {
    const events = traffic();
    // Once, everything at once.
    const whole = open('whole');
    const siteA = (await whole.ensureSite('w', DEFAULT_SITE_SETTINGS)).id;
    await whole.appendEvents(events.map((event) => ({ siteId: siteA, event })));
    await settle(whole);

    // In time order in small chunks (the live case), with some events held back and sent late.
    const live = open('live');
    const siteB = (await live.ensureSite('w', DEFAULT_SITE_SETTINGS)).id;
    const sorted = [...events].sort((a, b) => a.time - b.time);
    const late = sorted.filter((_, i) => i % 17 === 0);
    const onTime = sorted.filter((_, i) => i % 17 !== 0);
    const totals = { persons: 0, incremental: 0 };
    for (let i = 0; i < onTime.length; i += 40) {
      await live.appendEvents(onTime.slice(i, i + 40).map((event) => ({ siteId: siteB, event })));
      await settle(live, totals);
      if (i % 400 === 0 && late.length > 0) {
        await live.appendEvents(late.splice(0, 10).map((event) => ({ siteId: siteB, event })));
        await settle(live, totals);
      }
    }
    await live.appendEvents(late.map((event) => ({ siteId: siteB, event })));
    await settle(live, totals);

    expect((await whole.resultAggregates(siteA, 3)).size).toBeGreaterThan(20);
    expect(rounded(await live.resultAggregates(siteB, 3))).toEqual(rounded(await whole.resultAggregates(siteA, 3)));
    // Most recomputations read only the events since the person's quiet point.
    expect(totals.incremental).toBeGreaterThan(totals.persons / 2);
    // And a recomputation from scratch (a settings change marks every identity) agrees too.
    await live.markAllDirty(siteB);
    const again = await settle(live);
    expect(again.incremental).toBe(0);
    expect(rounded(await live.resultAggregates(siteB, 3))).toEqual(rounded(await whole.resultAggregates(siteA, 3)));
  });

  it('recomputes a whole site page by page to the same results while new events keep arriving and marks keep being handled', async () => {
    const events = [...traffic()].sort((a, b) => a.time - b.time);
    const whole = open('scan-whole');
    const siteA = (await whole.ensureSite('w', DEFAULT_SITE_SETTINGS)).id;
    await whole.appendEvents(events.map((event) => ({ siteId: siteA, event })));
    await settle(whole);

    const busy = open('scan-busy');
    const siteB = (await busy.ensureSite('w', DEFAULT_SITE_SETTINGS)).id;
    const first = events.filter((_, i) => i % 3 !== 0);
    const later = events.filter((_, i) => i % 3 === 0);
    await busy.appendEvents(first.map((event) => ({ siteId: siteB, event })));
    await settle(busy);
    expect(await busy.markAllDirty(siteB)).toBeGreaterThan(30);
    const now = () => T0 + 1_000 * 1_440 * MIN;
    let steps = 0;
    // One page of 40 events per step; between steps, new events (links among them) and a round of their marks.
    while ((await runRecomputeStep(busy, { leaseMs: 60_000, now, quotas: DEFAULT_QUOTAS, pageEvents: 40, stepMs: 0 })) > 0) {
      steps += 1;
      const batch = later.splice(0, 25);
      if (batch.length > 0) await busy.appendEvents(batch.map((event) => ({ siteId: siteB, event })));
      if (steps % 2 === 0) await markedRound(busy, { batch: 10, leaseMs: 60_000, now, quotas: DEFAULT_QUOTAS });
      expect(steps).toBeLessThan(500);
    }
    expect(steps).toBeGreaterThan(10);
    await busy.appendEvents(later.map((event) => ({ siteId: siteB, event })));
    await settle(busy);
    expect(await busy.dirtyBacklog()).toBe(0);
    expect(rounded(await busy.resultAggregates(siteB, 3))).toEqual(rounded(await whole.resultAggregates(siteA, 3)));
    // The persons' states were kept: the next events of a person are attributed incrementally.
    expect((await busy.personStates(siteB, ['v:dev1', 'v:dev2'])).size).toBe(2);
  });
});

describe('attribution worker: rounds under a trickle of events', () => {
  const temp = makeTempDir();

  it('gathers the marks that arrive after a round that emptied the backlog, whatever the kicks, and stops at once', async () => {
    const storage = openSqliteStorage({ file: path.join(temp.dir, 'gather.db'), cacheMb: 8 });
    try {
      const siteId = (await storage.ensureSite('g', DEFAULT_SITE_SETTINGS)).id;
      const now = Date.now();
      let n = 0;
      const page = (code: string) => ({
        siteId,
        event: {
          identity: { kind: 'visitorCode' as const, value: code },
          nonce: (++n).toString(16).padStart(16, '0'),
          time: now,
          receivedAt: now,
          itp: false,
          sdk: null,
          type: 'page' as const,
          data: { href: 'https://x/', canonicalHref: null, title: '', keyPagesIndices: [], referrerHref: null, referrersIndices: [] },
        },
      });
      const rounds: RoundReport[] = [];
      await storage.appendEvents([page('first')]);
      const worker = startAttributionWorker(storage, { batch: 500, leaseMs: 60_000, idleMs: 5, gatherMs: 60_000, now: Date.now, quotas: DEFAULT_QUOTAS, onRound: (r) => rounds.push(r) });
      for (let i = 0; i < 200 && rounds.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(rounds).toHaveLength(1);
      // A trickle of events, each kicking the worker as a commit does: none starts a round early.
      for (let i = 0; i < 10; i++) {
        await storage.appendEvents([page(`v${i}`)]);
        worker.kick();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(rounds).toHaveLength(1);
      expect(await storage.dirtyBacklog()).toBe(10);
      // settle() ends the gathering pause: the ten marks are handled in one round.
      await worker.settle();
      expect(rounds.map((r) => r.marks)).toEqual([1, 10]);
      const stopping = performance.now();
      await worker.stop();
      expect(performance.now() - stopping).toBeLessThan(5_000);
    } finally {
      await storage.close();
    }
  });
});
