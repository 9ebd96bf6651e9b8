import { attributePerson, type ExperimentAttribution } from '../core/attribution/attribute-person.ts';
import {
  personsTouchedByVisitorCode,
  visitorCodesOfPerson,
  parsePersonKey,
  type PersonKey,
} from '../core/attribution/person.ts';
import type { AnalysisPeriod, AttributionSettings } from '../core/attribution/rules.ts';
import type { Identity, VisitorEvent } from '../core/events.ts';
import type { IdentityLink } from '../core/identity.ts';
import type { SeenIds } from '../core/registry.ts';
import type { Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';
import { eventsOfVisitorCodes } from './read-visitor.ts';

function uniqueLinks(links: readonly IdentityLink[]): IdentityLink[] {
  const seen = new Map<string, IdentityLink>();
  for (const l of links) seen.set(`${l.mappingValue}\u0000${l.visitorCode}\u0000${l.nonce}`, l);
  return [...seen.values()];
}

/** Every link that decides which person these codes belong to: theirs, and those made to them as values. */
async function linksAround(storage: Storage, siteId: number, codes: readonly string[]): Promise<IdentityLink[]> {
  const [own, toThem] = await Promise.all([storage.linksOfVisitorCodes(siteId, codes), storage.linksOfMappingValues(siteId, codes)]);
  return uniqueLinks([...own, ...toThem]);
}

/** The persons whose results may change when events of this identity arrive. */
export async function personsTouchedBy(storage: Storage, siteId: number, identity: Identity): Promise<PersonKey[]> {
  let codes = [identity.value];
  if (identity.kind === 'mappingValue') {
    // Its events resolve to every code ever linked to the value, and to the value itself.
    const toValue = await storage.linksOfMappingValues(siteId, [identity.value]);
    codes = [...new Set([identity.value, ...toValue.map((l) => l.visitorCode)])];
  }
  const links = await linksAround(storage, siteId, codes);
  const persons = new Set<PersonKey>(codes.flatMap((code) => personsTouchedByVisitorCode(code, links)));
  if (identity.kind === 'mappingValue') persons.add(`m:${identity.value}`);
  return [...persons];
}

/** A person's events grouped by visitor code (empty when the person no longer exists). */
export async function eventsOfPerson(storage: Storage, siteId: number, person: PersonKey): Promise<Map<string, VisitorEvent[]>> {
  const { kind, value } = parsePersonKey(person);
  let candidates = [value];
  if (kind === 'mappingValue') {
    const toValue = await storage.linksOfMappingValues(siteId, [value]);
    candidates = [...new Set([value, ...toValue.map((l) => l.visitorCode)])];
  }
  const codes = visitorCodesOfPerson(person, await linksAround(storage, siteId, candidates));
  return codes.length === 0 ? new Map() : eventsOfVisitorCodes(storage, siteId, codes);
}

/** Attribution settings of a site: its window and timeout, each experiment's analysis period. */
export async function attributionSettingsOf(storage: Storage, site: Site): Promise<AttributionSettings> {
  const periods = new Map<number, AnalysisPeriod>();
  for (const experiment of await storage.listExperiments(site.id)) periods.set(experiment.id, experiment.analysisPeriod);
  const unbounded: AnalysisPeriod = { start: null, end: null };
  return {
    visitTimeoutMs: site.settings.visitTimeoutMs,
    attributionWindowMs: site.settings.attributionWindowMs,
    periodOf: (id) => periods.get(id) ?? unbounded,
  };
}

export function noSeenIds(): SeenIds {
  return { experiments: new Map(), goals: new Set(), lastExposure: new Map() };
}

/** The experiment, variation and goal ids in these events, added to `seen` (a new set by default). */
export function seenIdsOf(eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>, seen: SeenIds = noSeenIds()): SeenIds {
  for (const events of eventsByCode.values()) {
    for (const event of events) {
      if (event.type === 'experiment') {
        const variations = seen.experiments.get(event.data.id) ?? new Set<number>();
        variations.add(event.data.variationId);
        seen.experiments.set(event.data.id, variations);
        const last = seen.lastExposure ?? (seen.lastExposure = new Map());
        if (event.time > (last.get(event.data.id) ?? -Infinity)) last.set(event.data.id, event.time);
      } else if (event.type === 'conversion') {
        seen.goals.add(event.data.goalId);
      }
    }
  }
  return seen;
}

export async function attributionOfPerson(
  storage: Storage,
  site: Site,
  person: PersonKey,
  settings?: AttributionSettings,
): Promise<{ events: Map<string, VisitorEvent[]>; attributions: ExperimentAttribution[] }> {
  const events = await eventsOfPerson(storage, site.id, person);
  return { events, attributions: attributePerson(events, settings ?? (await attributionSettingsOf(storage, site))) };
}
