import type { EventDataByType, EventType } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import { bool, countMap, finite, id, idArray, integer, metadata, text, type Decoder } from './field-decoders.ts';

/**
 * The fields of each event type: how each is decoded, whether it is required, its default, and
 * the spellings tolerated for it. Fields not listed are ignored, as SDKs add parameters over time.
 */
export interface FieldSpec {
  decode: Decoder<unknown>;
  required?: boolean;
  /**
   * Applied when the field is absent; absent optional fields without a default are left out. A
   * function makes a fresh object for each event, so no two events share (and mutate) one default.
   */
  fallback?: string | number | boolean | null | (() => object);
  aliases?: readonly string[];
}

export interface EventSpec<T extends EventType> {
  fields: Record<string, FieldSpec>;
  /** Shapes decoded fields into the stored data, or names what is wrong with the whole event. */
  finish?: (fields: Record<string, unknown>) => EventDataByType[T] | { problem: string };
}

const url = text(LIMITS.urlLength);
const label = text(LIMITS.textLength);
const shortName = text(32);

const variationFields: Record<string, FieldSpec> = {
  id: { decode: id, required: true },
  variationId: { decode: id, required: true },
};

export const EVENT_SPECS: { [T in EventType]: EventSpec<T> } = {
  conversion: {
    fields: {
      goalId: { decode: id, required: true, aliases: ['goalID', 'goalid'] },
      revenue: { decode: finite(0, LIMITS.maxRevenue), fallback: 0 },
      negative: { decode: bool, fallback: false },
      metadata: { decode: metadata, fallback: () => ({}) },
    },
  },
  customData: {
    fields: {
      index: { decode: id, required: true },
      valuesCountMap: { decode: countMap, required: true, aliases: ['valueToCount'] },
      overwrite: { decode: bool, fallback: true },
      mappingIdentifier: { decode: bool, fallback: false },
    },
    finish: (f) => {
      const data = f as unknown as EventDataByType['customData'];
      if (data.mappingIdentifier && Object.keys(data.valuesCountMap).length === 0) {
        return { problem: 'valuesCountMap must hold the mapping value when mappingIdentifier=true' };
      }
      return data;
    },
  },
  page: {
    fields: {
      href: { decode: url, required: true },
      title: { decode: label, fallback: '' },
      referrersIndices: { decode: idArray, fallback: () => [] },
      keyPagesIndices: { decode: idArray, fallback: () => [] },
      canonicalHref: { decode: url, fallback: null },
      referrerHref: { decode: url, fallback: null },
    },
  },
  experiment: { fields: variationFields },
  personalization: { fields: variationFields },
  targetingSegment: { fields: { id: { decode: id, required: true } } },
  staticData: {
    fields: {
      deviceType: { decode: shortName },
      browser: { decode: shortName },
      browserIndex: { decode: integer(0, 99) },
      browserVersion: { decode: finite(0, 1e6) },
      os: { decode: shortName },
      osIndex: { decode: integer(0, 99) },
      visitNumber: { decode: integer(0, LIMITS.maxId) },
      timeSincePreviousVisit: { decode: integer(0, Number.MAX_SAFE_INTEGER) },
    },
    finish: (f) => {
      // Legacy SDKs sent the browser as its index in `browser`.
      if (typeof f.browser === 'string' && /^\d+$/.test(f.browser)) {
        f.browserIndex ??= Number(f.browser);
        delete f.browser;
      }
      for (const key of ['deviceType', 'browser', 'os'] as const) {
        if (typeof f[key] === 'string') f[key] = (f[key] as string).toUpperCase();
      }
      if (Object.keys(f).length === 0) return { problem: 'staticData carries none of its fields' };
      return f as EventDataByType['staticData'];
    },
  },
  geolocation: {
    fields: {
      country: { decode: label, required: true },
      region: { decode: label, fallback: null },
      city: { decode: label, fallback: null },
      postalCode: { decode: label, fallback: null },
      latitude: { decode: finite(-90, 90), fallback: null },
      longitude: { decode: finite(-180, 180), fallback: null },
    },
  },
  activity: { fields: {} },
};

const LONGEST_TYPE = Math.max(...Object.keys(EVENT_SPECS).map((t) => t.length));
const TYPE_BY_LOWER = new Map<string, EventType>(Object.keys(EVENT_SPECS).map((t) => [t.toLowerCase(), t as EventType]));

/** Event types match case-insensitively: SDKs send `customData`, the docs `CUSTOMDATA`. */
export function eventTypeOf(raw: string): EventType | undefined {
  if (raw.length > LONGEST_TYPE) return undefined; // no lower-cased copy of a megabyte string
  // The SDKs' own spelling first: no lower-cased copy for every event.
  return (Object.hasOwn(EVENT_SPECS, raw) ? (raw as EventType) : undefined) ?? TYPE_BY_LOWER.get(raw.toLowerCase());
}
