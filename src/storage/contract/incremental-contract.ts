import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { FROM_SCRATCH, type DirtyMark } from '../port.ts';
import { at, conversion } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const NOW = Date.UTC(2026, 0, 10);
const T = Date.UTC(2025, 11, 1);
const sinceOf = (marks: readonly DirtyMark[]) => Object.fromEntries(marks.map((m) => [m.identity, m.since]));

/** What the attribution worker needs to update a person incrementally (person-prefix.ts). */
export function incrementalContract(makeStorage: StorageFactory): void {
  describe('incremental derived state', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('incremental', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('remembers in each mark the oldest event time that touched it, until it is completed', async () => {
      await fx.storage.appendEvents(at(site, [conversion('a', { time: T + 50 }), conversion('a', { time: T + 10 }), conversion('b', { time: T })]));
      const first = await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW });
      expect(sinceOf(first)).toEqual({ a: T + 10, b: T });
      // Touched again while claimed, by a later and by an older event: the mark keeps the older time.
      await fx.storage.appendEvents(at(site, [conversion('a', { time: T + 90 }), conversion('a', { time: T - 500 })]));
      await fx.storage.completeDirty(first);
      expect(sinceOf(await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW + 1 }))).toEqual({ a: T - 500 });
    });

    it('asks for a recomputation from scratch after a forget and after markAllDirty', async () => {
      await fx.storage.appendEvents(at(site, [conversion('c', { time: T }), conversion('d', { time: T })]));
      await fx.storage.completeDirty(await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW }));
      await fx.storage.forgetVisitors(site, {
        identities: [{ kind: 'visitorCode', value: 'c' }],
        events: [],
        linkVisitorCodes: [],
        linkMappingValues: [],
        mapKeys: [],
        dirty: [{ kind: 'visitorCode', value: 'c' }],
      });
      expect(sinceOf(await fx.storage.claimDirty({ limit: 10, leaseMs: 1, now: NOW + 1 }))).toEqual({ c: FROM_SCRATCH });
      await fx.storage.appendEvents(at(site, [conversion('d', { time: T + 5 })]));
      await fx.storage.markAllDirty(site);
      expect(sinceOf(await fx.storage.claimDirty({ limit: 10, leaseMs: 1, now: NOW + 10 }))).toMatchObject({ d: FROM_SCRATCH });
    });

    it('keeps a person\'s state with its contributions, replaces it with them, and drops it with them', async () => {
      const u = new Map([['U|5|1|visitor|100', [1]]]);
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: u, state: '{"q":1}' },
        { personKey: 'v:p2', next: u, state: '{"q":2}' },
        { personKey: 'v:p3', next: new Map(), state: '{"q":3}' },
      ], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.personStates(site, ['v:p1', 'v:p2', 'v:p3', 'v:none'])).toEqual(
        new Map([['v:p1', '{"q":1}'], ['v:p2', '{"q":2}'], ['v:p3', '{"q":3}']]),
      );
      // A person with no contributions keeps its state (and adds nothing to the aggregates).
      expect((await fx.storage.resultAggregates(site, 5)).get('U|5|1|visitor|100')).toEqual([2]);
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: u, state: '{"q":11}' },
        { personKey: 'v:p2', next: u },
        { personKey: 'v:p3', next: new Map(), state: null },
      ], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.personStates(site, ['v:p1', 'v:p2', 'v:p3'])).toEqual(new Map([['v:p1', '{"q":11}']]));
      expect((await fx.storage.resultAggregates(site, 5)).get('U|5|1|visitor|100')).toEqual([2]);
      expect(await fx.storage.personStates(site, [])).toEqual(new Map());
    });
  });
}
