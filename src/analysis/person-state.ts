import { attributePerson, NO_PREFIX, type ExperimentAttribution, type PersonPrefix } from '../core/attribution/attribute-person.ts';
import { personContributions, type Contributions } from '../core/attribution/contributions.ts';
import {
  personsTouchedByVisitorCode,
  visitorCodesOfPerson,
  parsePersonKey,
  type PersonKey,
} from '../core/attribution/person.ts';
import { extendPrefix, latestQuietPoint, prefixFromJson, prefixToJson } from '../core/attribution/person-prefix.ts';
import type { AnalysisPeriod, AttributionSettings } from '../core/attribution/rules.ts';
import type { Identity, VisitorEvent } from '../core/events.ts';
import type { IdentityLink } from '../core/identity.ts';
import { addSeenIds, type SeenIds } from '../core/registry.ts';
import type { Site } from '../core/site-settings.ts';
import { FROM_SCRATCH, type Storage } from '../storage/port.ts';
import type { Pause } from '../loop-slices.ts';
import { eventsOfCodeGroups, eventsOfVisitorCodes } from './read-visitor.ts';

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

/**
 * The codes an identity's events may belong to (the code; or the value itself and every code ever
 * linked to it) and every link that decides their persons.
 */
async function candidatesOf(storage: Storage, siteId: number, identity: Identity): Promise<{ codes: string[]; links: IdentityLink[] }> {
  let codes = [identity.value];
  if (identity.kind === 'mappingValue') {
    const toValue = await storage.linksOfMappingValues(siteId, [identity.value]);
    codes = [...new Set([identity.value, ...toValue.map((l) => l.visitorCode)])];
  }
  return { codes, links: await linksAround(storage, siteId, codes) };
}

/**
 * Reads, in three port calls, every link candidatesOf needs for these identities: with a reader
 * that remembers link reads (withRoundLinks), each identity's own steps after that are answered
 * from memory.
 */
async function readLinksOfAll(reader: Storage, siteId: number, identities: readonly Identity[]): Promise<void> {
  const values = identities.filter((i) => i.kind === 'mappingValue').map((i) => i.value);
  const toValues = values.length === 0 ? [] : await reader.linksOfMappingValues(siteId, values);
  await linksAround(reader, siteId, [...new Set([...identities.map((i) => i.value), ...toValues.map((l) => l.visitorCode)])]);
}

/** The persons whose results may change when events of this identity arrive. */
export async function personsTouchedBy(storage: Storage, siteId: number, identity: Identity): Promise<PersonKey[]> {
  const { codes, links } = await candidatesOf(storage, siteId, identity);
  const persons = new Set<PersonKey>(codes.flatMap((code) => personsTouchedByVisitorCode(code, links)));
  if (identity.kind === 'mappingValue') persons.add(`m:${identity.value}`);
  return [...persons];
}

/** personsTouchedBy for many identities (a round's marks), their links read together (readLinksOfAll). */
export async function personsTouchedByAll(reader: Storage, siteId: number, identities: readonly Identity[]): Promise<PersonKey[][]> {
  await readLinksOfAll(reader, siteId, identities);
  return Promise.all(identities.map((identity) => personsTouchedBy(reader, siteId, identity)));
}

/** The visitor codes of a person now (none when the person no longer exists). */
async function codesOfPerson(storage: Storage, siteId: number, person: PersonKey): Promise<string[]> {
  return visitorCodesOfPerson(person, (await candidatesOf(storage, siteId, parsePersonKey(person))).links);
}

/** codesOfPerson for many persons, their links read together (readLinksOfAll). */
async function codesOfPersons(reader: Storage, siteId: number, persons: readonly PersonKey[]): Promise<string[][]> {
  await readLinksOfAll(reader, siteId, persons.map(parsePersonKey));
  return Promise.all(persons.map((person) => codesOfPerson(reader, siteId, person)));
}

/** A person's events grouped by visitor code (empty when the person no longer exists). */
export async function eventsOfPerson(storage: Storage, siteId: number, person: PersonKey): Promise<Map<string, VisitorEvent[]>> {
  const codes = await codesOfPerson(storage, siteId, person);
  return codes.length === 0 ? new Map() : eventsOfVisitorCodes(storage, siteId, codes);
}

/** Attribution settings of a site: its window and timeout, each experiment's analysis period. */
export async function attributionSettingsOf(storage: Storage, site: Site): Promise<AttributionSettings & { key: string }> {
  const periods = new Map<number, AnalysisPeriod>();
  for (const experiment of await storage.listExperiments(site.id)) periods.set(experiment.id, experiment.analysisPeriod);
  const unbounded: AnalysisPeriod = { start: null, end: null };
  // What a person's stored state depends on; experiments without a period (every new one) leave it as it is.
  const set = [...periods].filter(([, p]) => p.start !== null || p.end !== null).sort(([a], [b]) => a - b);
  return {
    visitTimeoutMs: site.settings.visitTimeoutMs,
    attributionWindowMs: site.settings.attributionWindowMs,
    periodOf: (id) => periods.get(id) ?? unbounded,
    key: JSON.stringify([site.settings.visitTimeoutMs, site.settings.attributionWindowMs, set]),
  };
}

export function noSeenIds(): SeenIds {
  return { experiments: new Map(), goals: new Set(), lastExposure: new Map() };
}

/** The experiment, variation and goal ids in these events, added to `seen` (a new set by default). */
export function seenIdsOf(eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>, seen: SeenIds = noSeenIds()): SeenIds {
  for (const events of eventsByCode.values()) {
    for (const event of events) {
      addSeenIds(seen, event);
      if (event.type === 'experiment') {
        const last = seen.lastExposure ?? (seen.lastExposure = new Map());
        if (event.time > (last.get(event.data.id) ?? -Infinity)) last.set(event.data.id, event.time);
      }
    }
  }
  return seen;
}

/** A person's events and attribution, from every event (explanations). */
export async function attributionOfPerson(
  storage: Storage,
  site: Site,
  person: PersonKey,
  settings?: AttributionSettings,
): Promise<{ events: Map<string, VisitorEvent[]>; attributions: ExperimentAttribution[] }> {
  const events = await eventsOfPerson(storage, site.id, person);
  return { events, attributions: attributePerson(events, settings ?? (await attributionSettingsOf(storage, site))) };
}

/** What the worker keeps of a person between recomputations (PersonContributions.state). */
interface PersonState {
  v: 1;
  /** attributionSettingsOf(...).key when it was computed. */
  settings: string;
  /** The person's visitor codes, sorted. */
  codes: string[];
  /** Its latest quiet point: every event before it is summed up in `prefix`. */
  point: number;
  prefix: unknown;
}

export interface PersonRecomputation {
  next: Contributions;
  state: string | null;
  /** The events read (all of them, or those since the stored quiet point). */
  events: Map<string, VisitorEvent[]>;
  incremental: boolean;
}

/** A person to recompute: its stored state, and the oldest event time that touched it since (FROM_SCRATCH: all of them). */
export interface PersonToRecompute {
  person: PersonKey;
  state: string | undefined;
  since: number;
}

/**
 * Recomputes persons' contributions, reading their links and events in a fixed number of port
 * calls whatever their number (eventsOfCodeGroups). When a person's stored state still holds
 * (same settings, same codes, and no event older than its quiet point arrived), only the events
 * from the quiet point on are read and attributed on top of its summary
 * (core/attribution/person-prefix.ts); otherwise every event is read. Either way the answer is
 * the same, and a new state is kept with the summary moved to the latest quiet point. `pause`
 * is awaited between persons' attributions (the event loop's turn).
 */
export async function recomputePersons(
  reader: Storage,
  site: Site,
  persons: readonly PersonToRecompute[],
  settings: AttributionSettings & { key: string },
  pause: Pause = () => undefined,
): Promise<PersonRecomputation[]> {
  const codesOf = await codesOfPersons(reader, site.id, persons.map((p) => p.person));
  const plans = persons.map((stored, i) => {
    const codes = codesOf[i]!.sort();
    const previous = stored.state ? (JSON.parse(stored.state) as PersonState) : null;
    const usable =
      codes.length > 0 &&
      previous !== null &&
      previous.v === 1 &&
      previous.settings === settings.key &&
      stored.since >= previous.point &&
      previous.codes.length === codes.length &&
      previous.codes.every((code, k) => code === codes[k]);
    return { codes, usable, prefix: usable ? prefixFromJson(previous.prefix) : NO_PREFIX, from: usable ? previous.point : null };
  });
  const live = plans.filter((plan) => plan.codes.length > 0);
  const read = await eventsOfCodeGroups(reader, site.id, live.map((plan) => ({ codes: plan.codes, since: plan.from ?? FROM_SCRATCH })));
  const eventsOf = new Map(live.map((plan, i) => [plan, read[i]!]));
  const out: PersonRecomputation[] = [];
  for (const plan of plans) {
    const events = eventsOf.get(plan);
    // A person with no codes no longer exists: nothing to contribute, nothing to keep.
    if (!events) out.push({ next: new Map(), state: null, events: new Map(), incremental: false });
    else {
      out.push({ ...attributeFrom(events, settings, plan.codes, { prefix: plan.prefix, from: plan.from }), events, incremental: plan.usable });
      await pause();
    }
  }
  return out;
}

/** A person's contributions and state from every one of its events (`codes` sorted): the pure part of a recomputation from scratch. */
export function recomputeFromEvents(
  events: ReadonlyMap<string, readonly VisitorEvent[]>,
  settings: AttributionSettings & { key: string },
  codes: readonly string[],
): Pick<PersonRecomputation, 'next' | 'state'> {
  return attributeFrom(events, settings, codes, { prefix: NO_PREFIX, from: null });
}

/** Attributes the events since `from` (null: every event) on top of `prefix`, and the state with the summary moved to the latest quiet point. */
function attributeFrom(
  events: ReadonlyMap<string, readonly VisitorEvent[]>,
  settings: AttributionSettings & { key: string },
  codes: readonly string[],
  { prefix, from }: { prefix: PersonPrefix; from: number | null },
): Pick<PersonRecomputation, 'next' | 'state'> {
  const point = latestQuietPoint(events, settings.visitTimeoutMs) ?? from;
  if (point === null) return { next: personContributions(attributePerson(events, settings, prefix), prefix.visitUnits), state: null };
  // The summary moves to the new quiet point first, and the contributions come from the events
  // after it on top of the moved summary (equal to attributing them all, person-prefix.ts): each
  // event is attributed once, not once for the contributions and again to move the summary.
  let moved = prefix;
  let after = events;
  if (from === null || point > from) {
    const before = new Map([...events].map(([code, list]) => [code, list.filter((e) => e.time < point)]));
    moved = extendPrefix(prefix, before, settings, point);
    after = new Map([...events].map(([code, list]) => [code, list.filter((e) => e.time >= point)]));
  }
  const next = personContributions(attributePerson(after, settings, moved), moved.visitUnits);
  const state: PersonState = { v: 1, settings: settings.key, codes: [...codes], point, prefix: prefixToJson(moved) };
  return { next, state: JSON.stringify(state) };
}
