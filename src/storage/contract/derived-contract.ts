import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { defaultExperiment } from '../../core/registry.ts';
import { at, conversion } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const NOW = Date.UTC(2026, 0, 10);
/** A registry quota these tests never reach (the quotas part tests reaching it). */
const ROOMY = { maxEntries: 1_000_000 };

export function derivedContract(makeStorage: StorageFactory): void {
  describe('registry and derived state', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('derived', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('registers seen ids once and never overwrites what an operator set', async () => {
      await fx.storage.saveExperiment(site, { ...defaultExperiment(5), name: 'Checkout', variations: [{ id: 1, name: 'Control' }], referenceVariationId: 1 }, ROOMY);
      await fx.storage.registerSeen(site, { experiments: new Map([[5, new Set([1, 2])], [6, new Set([9])]]), goals: new Set([3]) }, ROOMY);
      await fx.storage.registerSeen(site, { experiments: new Map([[5, new Set([2])]]), goals: new Set([3, 4]) }, ROOMY);
      const experiments = await fx.storage.listExperiments(site);
      expect(experiments.map((e) => [e.id, e.name, e.variations])).toEqual([
        [5, 'Checkout', [{ id: 1, name: 'Control' }, { id: 2, name: 'Variation 2' }]],
        [6, 'Experiment 6', [{ id: 9, name: 'Variation 9' }]],
      ]);
      expect(experiments[0]).toMatchObject({ referenceVariationId: 1, analysisPeriod: { start: null, end: null }, status: 'running', trafficSplit: null });
      expect(await fx.storage.listGoals(site)).toEqual([{ id: 3, name: 'Goal 3', kind: 'conversion' }, { id: 4, name: 'Goal 4', kind: 'conversion' }]);
      await fx.storage.saveGoal(site, { id: 3, name: 'Purchase', kind: 'revenue' }, ROOMY);
      expect((await fx.storage.listGoals(site))[0]).toEqual({ id: 3, name: 'Purchase', kind: 'revenue' });
    });

    it('keeps each experiment\'s latest exposure, never lowered', async () => {
      expect(await fx.storage.lastExposures(site)).toEqual(new Map());
      await fx.storage.registerSeen(site, { experiments: new Map([[5, new Set([1])], [6, new Set([1])]]), goals: new Set(), lastExposure: new Map([[5, 2_000], [6, 1_000]]) }, ROOMY);
      await fx.storage.registerSeen(site, { experiments: new Map([[5, new Set([1])]]), goals: new Set(), lastExposure: new Map([[5, 1_500]]) }, ROOMY);
      await fx.storage.registerSeen(site, { experiments: new Map([[6, new Set([1])], [7, new Set([2])]]), goals: new Set() }, ROOMY);
      expect(await fx.storage.lastExposures(site)).toEqual(new Map([[5, 2_000], [6, 1_000]]));
      await fx.storage.registerSeen(site, { experiments: new Map([[6, new Set([1])]]), goals: new Set(), lastExposure: new Map([[6, 8_640_000_000_000]]) }, ROOMY);
      expect((await fx.storage.lastExposures(site)).get(6)).toBe(8_640_000_000_000);
    });

    it('saves an experiment whole: split, period and status round-trip', async () => {
      const record = {
        ...defaultExperiment(7),
        name: 'Hero',
        variations: [{ id: 10, name: 'A' }, { id: 11, name: 'B' }],
        referenceVariationId: 11,
        trafficSplit: { '10': 1, '11': 3 },
        analysisPeriod: { start: NOW - 1000, end: NOW },
        status: 'paused' as const,
      };
      await fx.storage.saveExperiment(site, record, ROOMY);
      expect(await fx.storage.getExperiment(site, 7)).toEqual(record);
      expect(await fx.storage.getExperiment(site, 8)).toBeNull();
    });

    it('updates site settings and reads a site by id', async () => {
      const updated = await fx.storage.updateSiteSettings(site, { ...DEFAULT_SITE_SETTINGS, attributionWindowMs: 1000 });
      expect(updated.settings.attributionWindowMs).toBe(1000);
      expect((await fx.storage.siteById(site))?.settings.attributionWindowMs).toBe(1000);
      expect(await fx.storage.siteById(999_999)).toBeNull();
    });

    it('marks appended identities dirty once each, leases claims and keeps marks touched meanwhile', async () => {
      await fx.storage.appendEvents(at(site, [conversion('a'), conversion('a'), conversion('b')]));
      expect(await fx.storage.dirtyBacklog()).toBe(2);
      const claimed = await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW });
      expect(claimed.map((m) => m.identity).sort()).toEqual(['a', 'b']);
      // Leased: nobody else gets them before the lease ends.
      expect(await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW + 1 })).toEqual([]);
      // Touched again while claimed: completing the old generation keeps the mark and frees it.
      await fx.storage.appendEvents(at(site, [conversion('a')]));
      await fx.storage.completeDirty(claimed);
      expect(await fx.storage.dirtyBacklog()).toBe(1);
      const again = await fx.storage.claimDirty({ limit: 10, leaseMs: 60_000, now: NOW + 2 });
      expect(again.map((m) => m.identity)).toEqual(['a']);
      await fx.storage.completeDirty(again);
      expect(await fx.storage.dirtyBacklog()).toBe(0);
    });

    it('hands a dead claim to another worker after its lease', async () => {
      await fx.storage.appendEvents(at(site, [conversion('c')]));
      await fx.storage.claimDirty({ limit: 10, leaseMs: 1000, now: NOW });
      const other = await fx.storage.claimDirty({ limit: 10, leaseMs: 1000, now: NOW + 1001 });
      expect(other.map((m) => m.identity)).toEqual(['c']);
    });

    it('replaces a person\'s contributions by adding exactly (new − old) to the aggregates', async () => {
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]]]) }], { version: await fx.storage.nextDerivedVersion() });
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p2', next: new Map([['U|5|1|visitor|100', [1]], ['U|6|2|visitor|101', [1]]]) }], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(new Map([['U|5|1|visitor|100', [2]], ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]]]));
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 3, 9]]]) }], { version: await fx.storage.nextDerivedVersion() });
      expect((await fx.storage.resultAggregates(site, 5)).get('G|5|1|3|visitor')).toEqual([1, 0, 0, 0, 3, 9]);
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map() }], { version: await fx.storage.nextDerivedVersion() });
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p2', next: new Map() }], { version: await fx.storage.nextDerivedVersion() });
      const emptied = await fx.storage.resultAggregates(site, 5);
      for (const vector of emptied.values()) expect(vector.every((v) => v === 0)).toBe(true);
      expect(await fx.storage.resultAggregates(site, 6)).toEqual(new Map([['U|6|2|visitor|101', [0]]]));
    });
  });
}
