import type { EventType, StaticData, VisitorEvent } from './events.ts';
import type { Visit } from './visits.ts';

/** Which parts of a visit GET /visit/visitor returns, after defaults and clamping. */
export interface VisitorViewOptions {
  siteCode: string;
  maxPreviousVisits: number;
  currentVisit: boolean;
  /** Event types whose arrays are included; `staticData` yields the single `staticDataEvent`. */
  include: ReadonlySet<EventType>;
}

interface EventJson {
  time: number;
  itp: boolean;
  sdk?: { name: string; version: string };
  data: unknown;
}

export interface VisitJson {
  siteCode: string;
  visitorCode: string;
  timeStarted: number;
  timeLastEvent: number;
  [key: string]: unknown;
}

export interface VisitorJson {
  currentVisit?: VisitJson;
  previousVisits?: VisitJson[];
}

/** Response keys per event type, exactly as the SDKs parse them. */
const ARRAY_KEYS: Partial<Record<EventType, string>> = {
  customData: 'customDataEvents',
  page: 'pageEvents',
  experiment: 'experimentEvents',
  personalization: 'personalizationEvents',
  conversion: 'conversionEvents',
  geolocation: 'geolocationEvents',
  targetingSegment: 'targetingSegmentEvents',
};

/** The SDKs parse INTERNET_EXPLORER; the JavaScript SDK sends IE. Index order is the wire's. */
const BROWSERS = ['CHROME', 'INTERNET_EXPLORER', 'FIREFOX', 'SAFARI', 'OPERA', 'OTHER'];
const OPERATING_SYSTEMS = ['WINDOWS', 'MAC', 'IOS', 'LINUX', 'ANDROID', 'WINDOWS_PHONE'];

function eventJson(event: VisitorEvent): EventJson {
  const json: EventJson = { time: event.time, itp: event.itp, data: event.data };
  if (event.sdk) json.sdk = event.sdk;
  return json;
}

function browserName(data: StaticData): string | null {
  if (data.browser !== undefined) return data.browser === 'IE' ? 'INTERNET_EXPLORER' : data.browser;
  return data.browserIndex !== undefined ? (BROWSERS[data.browserIndex] ?? 'OTHER') : null;
}

function osName(data: StaticData): string | null {
  if (data.os !== undefined) return data.os;
  return data.osIndex !== undefined ? (OPERATING_SYSTEMS[data.osIndex] ?? null) : null;
}

/**
 * Static data arrives as partial lines (device, browser, OS, visit numbering). The response holds one
 * object per visit: every field at its latest value in the visit, null where nothing was sent.
 */
function staticDataEvent(events: readonly VisitorEvent[]): EventJson | undefined {
  let merged: StaticData = {};
  let last: VisitorEvent | undefined;
  let mappingIdentifier: string | null = null;
  for (const event of events) {
    if (event.type === 'staticData') {
      merged = { ...merged, ...event.data };
      last = event;
    } else if (event.type === 'customData' && event.data.mappingIdentifier) {
      mappingIdentifier = Object.keys(event.data.valuesCountMap)[0] ?? mappingIdentifier;
    }
  }
  if (!last) return undefined;
  const data = {
    visitNumber: merged.visitNumber ?? null,
    timeSincePreviousVisit: merged.timeSincePreviousVisit ?? null,
    firstReferrerHref: null,
    browser: browserName(merged),
    browserIndex: merged.browserIndex ?? (merged.browser ? BROWSERS.indexOf(browserName(merged) ?? '') : null),
    browserVersion: merged.browserVersion ?? null,
    os: osName(merged),
    osIndex: merged.osIndex ?? (merged.os ? OPERATING_SYSTEMS.indexOf(merged.os) : null),
    windowWidth: null,
    windowHeight: null,
    screenWidth: null,
    screenHeight: null,
    timeZoneId: null,
    localeLanguageTag: null,
    deviceType: merged.deviceType ?? null,
    mappingIdentifier,
  };
  if (data.browserIndex === -1) data.browserIndex = 5;
  if (data.osIndex === -1) data.osIndex = null;
  return { ...eventJson(last), data };
}

export function visitJson(visit: Visit, options: VisitorViewOptions): VisitJson {
  const json: VisitJson = {
    siteCode: options.siteCode,
    visitorCode: visit.visitorCode,
    timeStarted: visit.timeStarted,
    timeLastEvent: visit.timeLastEvent,
  };
  for (const event of visit.events) {
    if (!options.include.has(event.type)) continue;
    const key = ARRAY_KEYS[event.type];
    if (!key) continue;
    const list = (json[key] as EventJson[] | undefined) ?? [];
    list.push(eventJson(event));
    json[key] = list;
  }
  if (options.include.has('staticData')) {
    const staticData = staticDataEvent(visit.events);
    if (staticData) json.staticDataEvent = staticData;
  }
  return json;
}

/**
 * Builds the GET /visit/visitor body from visits already split into current and previous (newest
 * first). Keys with nothing to say are left out, so an unknown visitor is `{}`.
 */
export function visitorJson(
  split: { current: Visit | null; previous: readonly Visit[] },
  options: VisitorViewOptions,
): VisitorJson {
  const body: VisitorJson = {};
  if (options.currentVisit && split.current) body.currentVisit = visitJson(split.current, options);
  const previous = split.previous.slice(0, options.maxPreviousVisits);
  if (previous.length > 0) body.previousVisits = previous.map((v) => visitJson(v, options));
  return body;
}
