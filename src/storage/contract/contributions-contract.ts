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
      await fx.storage.replacePersonsContributions(site, first);
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(
        c([['U|5|1|visitor|100', [2]], ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]], ['U|5|2|visitor|101', [1]]]),
      );
      // p1 changes, p2 leaves, u3 is unchanged: only the differences reach the aggregates.
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 3, 9]]]) },
        { personKey: 'v:p2', next: new Map() },
        first[2]!,
      ]);
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(
        c([['U|5|1|visitor|100', [1]], ['G|5|1|3|visitor', [1, 0, 0, 0, 3, 9]], ['U|5|2|visitor|101', [1]]]),
      );
      // Removing p1 alone afterwards subtracts exactly what the batch stored for it.
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map() }]);
      expect((await fx.storage.resultAggregates(site, 5)).get('G|5|1|3|visitor')).toEqual([0, 0, 0, 0, 0, 0]);
      expect(await fx.storage.resultAggregates(site, 6)).toEqual(c([['U|6|1|visitor|101', [1]]]));
    });

    it('keeps the last entry of a person named twice, and does nothing for no person', async () => {
      await fx.storage.replacePersonsContributions(site, []);
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(new Map());
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:p1', next: c([['U|5|1|visitor|100', [1]]]) },
        { personKey: 'v:p1', next: c([['U|5|2|visitor|100', [1]]]) },
      ]);
      const aggregates = await fx.storage.resultAggregates(site, 5);
      expect(aggregates.get('U|5|2|visitor|100')).toEqual([1]);
      expect(aggregates.get('U|5|1|visitor|100') ?? [0]).toEqual([0]);
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next: new Map() }]);
      for (const vector of (await fx.storage.resultAggregates(site, 5)).values()) expect(vector).toEqual([0]);
    });
  });
}
