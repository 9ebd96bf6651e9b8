import type { ConversionReason } from '../core/attribution/attribute-person.ts';
import { personOfVisitorCode, type PersonKey } from '../core/attribution/person.ts';
import type { Identity } from '../core/events.ts';
import type { Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';
import { attributionOfPerson } from './person-state.ts';

export const WHY: Record<ConversionReason, string> = {
  in_window: 'counted: it falls between the start of an exposed visit and the end of that exposure\'s attribution window',
  before_exposure: 'not counted: it happened before the visit of the first exposure started',
  after_window: 'not counted: no exposure\'s attribution window covers it',
  outside_period: 'not counted: it lies outside the experiment\'s analysis period',
  outlier_visit: 'not counted: its visit is an outlier (over 120 minutes or 10,000 events) and is left out of results',
};

export async function personOf(storage: Storage, siteId: number, identity: Identity): Promise<PersonKey> {
  const [own, toIt] = await Promise.all([
    storage.linksOfVisitorCodes(siteId, [identity.value]),
    storage.linksOfMappingValues(siteId, [identity.value]),
  ]);
  if (identity.kind === 'mappingValue') return toIt.length > 0 ? `m:${identity.value}` : `v:${identity.value}`;
  return personOfVisitorCode(identity.value, [...own, ...toIt]);
}

/**
 * Why each of a person's conversions did or did not count for an experiment (visitor level), from
 * the same pure attribution the results are built from.
 */
export async function explainAttribution(storage: Storage, site: Site, experimentId: number, identity: Identity) {
  const person = await personOf(storage, site.id, identity);
  const { events, attributions } = await attributionOfPerson(storage, site, person);
  const attribution = attributions.find((a) => a.experimentId === experimentId);
  const base = { siteCode: site.code, experimentId, person, visitorCodes: [...events.keys()].sort() };
  if (!attribution) {
    return { ...base, exposed: false, explanation: 'the person was never exposed to this experiment inside its analysis period (outlier visits aside)' };
  }
  return {
    ...base,
    exposed: true,
    variationId: attribution.variationId,
    firstExposure: attribution.firstExposure,
    variationsSeen: attribution.variations,
    attributionWindowMs: site.settings.attributionWindowMs,
    conversions: attribution.conversions
      .sort((a, b) => a.time - b.time)
      .map((c) => ({
        ...c,
        refund: c.negative,
        explanation: c.counted && c.negative ? `${WHY[c.reason]} (a refund: it subtracts its revenue and is not a conversion)` : WHY[c.reason],
      })),
  };
}
