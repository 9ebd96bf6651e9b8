import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Contributions } from '../../core/attribution/contributions.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const c = (entries: [string, number[]][]): Contributions => new Map(entries);

export function contributionsContract(makeStorage: StorageFactory): void {
  describe('replacing many persons\' contributions at once', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('contributions', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('gives the same aggregates as replacing the persons one by one', async () => {
      const first = [
        { personKey: 'v:p1', next: c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]]]) },
        { personKey: 'v:p2', next: c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [0, 0, 0, 0, 0, 0]]]) },
        { personKey: 'm:u3', next: c([['U|5|2|visitor|101', [1]], ['U|6|1|visitor|101', [1]]]) },
      ];
      await fx.storage.replacePersonsContributions(site, first, { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(
        c([['U|5|1|visitor|100', [2]], ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]], ['U|5|2|visitor|101', [1]]]),
      );
      // p1 changes, p2 leaves, u3 is unchanged: only the differences reach the aggregates.
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 3, 9]]]) },
        { personKey: 'v:p2', next: new Map() },
        first[2]!,
      ], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(
        c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 3, 9]], ['U|5|2|visitor|101', [1]]]),
      );
      // Removing p1 alone afterwards subtracts exactly what the batch stored for it.
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map() }], { version: await fx.storage.nextDerivedVersion() });
      expect((await fx.storage.resultAggregates(site, 5)).get('G|5|1|3|visitor')).toEqual([0, 0, 0, 0, 0, 0]);
      expect(await fx.storage.resultAggregates(site, 6)).toEqual(c([['U|6|1|visitor|101', [1]]]));
    });

    it('keeps the last entry of a person named twice, and does nothing for no person', async () => {
      await fx.storage.replacePersonsContributions(site, [], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(new Map());
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: c([['U|5|1|visitor|100', [1]]]) },
        { personKey: 'v:p1', next: c([['U|5|2|visitor|100', [1]]]) },
      ], { version: await fx.storage.nextDerivedVersion() });
      const aggregates = await fx.storage.resultAggregates(site, 5);
      expect(aggregates.get('U|5|2|visitor|100')).toEqual([1]);
      expect(aggregates.get('U|5|1|visitor|100') ?? [0]).toEqual([0]);
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map() }], { version: await fx.storage.nextDerivedVersion() });
      for (const vector of (await fx.storage.resultAggregates(site, 5)).values()) expect(vector).toEqual([0]);
    });

    it('hands out derived versions that only grow, on every handle', async () => {
      const other = await fx.openAnother();
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) seen.push(await fx.storage.nextDerivedVersion(), await other.nextDerivedVersion());
      seen.push(...(await Promise.all([fx.storage.nextDerivedVersion(), other.nextDerivedVersion(), fx.storage.nextDerivedVersion()])).sort((a, b) => a - b));
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    });

    it('leaves a person written or deleted with a later version as it is, whichever write lands last', async () => {
      const older = await fx.storage.nextDerivedVersion();
      const newer = await fx.storage.nextDerivedVersion();
      const one = c([['U|5|1|visitor|100', [1]]]);
      const two = c([['U|5|2|visitor|100', [1]]]);
      // The later reading lands first; the earlier one, landing after it, changes nothing.
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: two, state: '{"s":2}' }], { version: newer });
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: one, state: '{"s":1}' }, { personKey: 'v:fresh', next: one }], { version: older });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(c([['U|5|2|visitor|100', [1]], ['U|5|1|visitor|100', [1]]]));
      expect(await fx.storage.personStates(site, ['v:late'])).toEqual(new Map([['v:late', '{"s":2}']]));
      // The same version again is the same round's write: it replaces.
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: one, state: '{"s":3}' }], { version: newer });
      expect(await fx.storage.personStates(site, ['v:late'])).toEqual(new Map([['v:late', '{"s":3}']]));

      // A deletion keeps its version: an earlier reading of the person does not bring it back…
      const before = await fx.storage.nextDerivedVersion();
      const deletion = await fx.storage.nextDerivedVersion();
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: new Map(), state: null }], { version: deletion });
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: two, state: '{"s":4}' }], { version: before });
      expect(await fx.storage.personStates(site, ['v:late'])).toEqual(new Map());
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(c([['U|5|2|visitor|100', [0]], ['U|5|1|visitor|100', [1]]]));
      // …and a later one does, once.
      const after = await fx.storage.nextDerivedVersion();
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: two, state: '{"s":5}' }], { version: after });
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:late', next: two, state: '{"s":6}' }], { version: before });
      expect(await fx.storage.personStates(site, ['v:late'])).toEqual(new Map([['v:late', '{"s":5}']]));
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(c([['U|5|2|visitor|100', [1]], ['U|5|1|visitor|100', [1]]]));
    });
  });
}
