import type { EventDataByType, EventType } from '../core/events.ts';
import { identifierProblem } from '../core/identifiers.ts';
import { LIMITS } from '../core/limits.ts';
import { bool, countMap, finite, id, idArray, integer, metadata, text, type Decoder } from './field-decoders.ts';

/** How a field is documented (docs/events.md is generated from these; a test checks the limits hold). */
export interface FieldDoc {
  type: 'integer' | 'number' | 'boolean' | 'string' | 'object' | 'array';
  description: string;
  /** Inclusive bounds of a number. */
  min?: number;
  max?: number;
  /** Most characters of a string. */
  maxLength?: number;
  /** Most entries of an object or items of an array. */
  maxEntries?: number;
}

/**
 * The fields of each event type: how each is decoded, whether it is required, its default, and
 * the spellings tolerated for it. A field not listed is ignored with a warning in the verdicts
 * (rejected with strict=true), except the line-format SDK extras below.
 */
export interface FieldSpec {
  decode: Decoder<unknown>;
  doc: FieldDoc;
  required?: boolean;
  /**
   * Applied when the field is absent; absent optional fields without a default are left out. A
   * function makes a fresh object for each event, so no two events share (and mutate) one default.
   */
  fallback?: string | number | boolean | null | (() => object);
  aliases?: readonly string[];
}

export interface EventSpec<T extends EventType> {
  /** What the event means, for docs/events.md. */
  description: string;
  /** Its own fields for one typical event, shown in both formats in docs/events.md (and decoded by a test). */
  example: Record<string, unknown>;
  fields: Record<string, FieldSpec>;
  /** Shapes decoded fields into the stored data, or names what is wrong with the whole event. */
  finish?: (fields: Record<string, unknown>) => EventDataByType[T] | { problem: string };
}

const url = text(LIMITS.urlLength);
const label = text(LIMITS.textLength);
const shortName = text(32);

const ID = { type: 'integer', min: 0, max: LIMITS.maxId } as const;
const URL_DOC = { type: 'string', maxLength: LIMITS.urlLength } as const;
const LABEL_DOC = { type: 'string', maxLength: LIMITS.textLength } as const;
const variationFields = (what: string): Record<string, FieldSpec> => ({
  id: { decode: id, required: true, doc: { ...ID, description: `The ${what} id.` } },
  variationId: { decode: id, required: true, doc: { ...ID, description: 'The variation the visitor was given.' } },
});

/** Fields every event type reads, whatever its type. */
export const COMMON_FIELDS: Record<string, FieldDoc & { required: boolean }> = {
  eventType: { type: 'string', required: true, description: 'The event type, matched case-insensitively (`conversion`, `CONVERSION`).' },
  nonce: { type: 'string', required: true, description: '16 hexadecimal characters, any case, unique per event: the de-duplication key with the site and the identity as sent. Reuse it on every retry.' },
  visitorCode: { type: 'string', required: false, maxLength: LIMITS.identityLength, description: 'The visitor; defaults to the query\'s `visitorCode` (or `mappingValue`). One of the two is required.' },
  mappingValue: { type: 'string', required: false, maxLength: LIMITS.identityLength, description: 'A cross-device user id, used when no `visitorCode` is given: the event goes to the visitor code last linked to it.' },
  time: { type: 'integer', required: false, min: 0, description: 'Anole extension: when it happened, in epoch milliseconds; default the receive time. At most the site\'s `lateEventHorizonMs` (30 days by default) in the past, 5 minutes in the future.' },
  itp: { type: 'boolean', required: false, description: 'Overrides the query\'s `itp` for this event.' },
};

/**
 * Parameters the Kameleoon SDKs put on lines that Anole does not store. They are expected there,
 * so the line format accepts them without a warning (docs/events.md lists them).
 */
export const LINE_FORMAT_EXTRAS: Record<string, string> = {
  userAgent: 'The raw user agent the SDKs append to a visitor\'s first line (with `bodyUa=true` in the query).',
  keyPages: 'Sent empty (`[]`) by very old SDKs.',
};

export const EVENT_SPECS: { [T in EventType]: EventSpec<T> } = {
  conversion: {
    example: { goalId: 36151, revenue: 23.5, metadata: { '3': ['store-42'] } },
    description: 'A goal reached: a purchase, a sign-up, an offline sale. With `negative=true` it is a refund.',
    fields: {
      goalId: { decode: id, required: true, aliases: ['goalID', 'goalid'], doc: { ...ID, description: 'The goal reached.' } },
      revenue: { decode: finite(0, LIMITS.maxRevenue), fallback: 0, doc: { type: 'number', min: 0, max: LIMITS.maxRevenue, description: 'Revenue of the conversion, never negative (send a refund with `negative=true`).' } },
      negative: { decode: bool, fallback: false, doc: { type: 'boolean', description: 'A refund: subtracts its revenue and does not count as a conversion.' } },
      metadata: {
        decode: metadata,
        fallback: () => ({}),
        doc: { type: 'object', maxEntries: LIMITS.mapEntries, description: `\`{"<customDataIndex>": ["value", …]}\`, kept as sent (nesting at most ${LIMITS.metadataDepth} levels, at most ${LIMITS.lineLength / 4} characters of JSON).` },
      },
    },
  },
  customData: {
    example: { index: 3, valuesCountMap: { 'user-42': 1 }, mappingIdentifier: true },
    description: 'A custom data value of the visitor; with `mappingIdentifier=true` it links the visitor code to a user id (docs/visits-and-identity.md).',
    fields: {
      index: { decode: id, required: true, doc: { ...ID, description: 'The custom data index.' } },
      valuesCountMap: {
        decode: countMap,
        required: true,
        aliases: ['valueToCount'],
        doc: { type: 'object', maxEntries: LIMITS.mapEntries, description: `\`{"<value>": <count>}\`; values at most ${LIMITS.textLength} characters, counts finite and ≥ 0. With \`mappingIdentifier=true\`, the first value is the user id.` },
      },
      overwrite: { decode: bool, fallback: true, doc: { type: 'boolean', description: 'Whether the values replace the earlier ones of this index.' } },
      mappingIdentifier: { decode: bool, fallback: false, doc: { type: 'boolean', description: 'The value is the user id that links this visitor code to a person.' } },
    },
    finish: (f) => {
      const data = f as unknown as EventDataByType['customData'];
      if (data.mappingIdentifier) {
        const value = Object.keys(data.valuesCountMap)[0];
        if (value === undefined) return { problem: 'valuesCountMap must hold the mapping value when mappingIdentifier=true' };
        // The value becomes an identity that events, reads and forget name: the identity rule applies.
        const problem = identifierProblem(value, LIMITS.identityLength);
        if (problem) return { problem: `the mapping value in valuesCountMap ${problem}` };
      }
      return data;
    },
  },
  page: {
    example: { href: 'https://shop.example/product/42', title: 'Running shoes', referrersIndices: [1] },
    description: 'A page view.',
    fields: {
      href: { decode: url, required: true, doc: { ...URL_DOC, description: 'The page URL.' } },
      title: { decode: label, fallback: '', doc: { ...LABEL_DOC, description: 'The page title.' } },
      referrersIndices: { decode: idArray, fallback: () => [], doc: { type: 'array', maxEntries: LIMITS.arrayItems, description: 'Indices of the acquisition channels, e.g. `[1,3]`.' } },
      keyPagesIndices: { decode: idArray, fallback: () => [], doc: { type: 'array', maxEntries: LIMITS.arrayItems, description: 'Indices of the key pages this page matches.' } },
      canonicalHref: { decode: url, fallback: null, doc: { ...URL_DOC, description: 'The canonical URL.' } },
      referrerHref: { decode: url, fallback: null, doc: { ...URL_DOC, description: 'The referrer URL.' } },
    },
  },
  experiment: { example: { id: 4001, variationId: 700002 }, description: 'An exposure: the visitor saw this variation of the experiment (docs/results.md).', fields: variationFields('experiment') },
  personalization: { example: { id: 51, variationId: 7 }, description: 'The visitor was shown this variation of a personalization.', fields: variationFields('personalization') },
  targetingSegment: { example: { id: 8001 }, description: 'The visitor was targeted by a segment.', fields: { id: { decode: id, required: true, doc: { ...ID, description: 'The segment id.' } } } },
  staticData: {
    example: { deviceType: 'DESKTOP', browser: 'CHROME', browserIndex: 0, browserVersion: 120 },
    description: 'Device, browser, operating system and visit numbering; SDKs send them in several partial lines, at least one field each.',
    fields: {
      deviceType: { decode: shortName, doc: { type: 'string', maxLength: 32, description: '`DESKTOP`, `PHONE` or `TABLET` (upper-cased).' } },
      browser: { decode: shortName, doc: { type: 'string', maxLength: 32, description: 'Browser name such as `CHROME` (upper-cased); digits alone are read as `browserIndex`.' } },
      browserIndex: { decode: integer(0, 99), doc: { type: 'integer', min: 0, max: 99, description: '0 Chrome, 1 Internet Explorer, 2 Firefox, 3 Safari, 4 Opera, 5 other.' } },
      browserVersion: { decode: finite(0, 1e6), doc: { type: 'number', min: 0, max: 1e6, description: 'Browser version.' } },
      os: { decode: shortName, doc: { type: 'string', maxLength: 32, description: 'Operating system such as `LINUX` (upper-cased).' } },
      osIndex: { decode: integer(0, 99), doc: { type: 'integer', min: 0, max: 99, description: '0 Windows, 1 Mac, 2 iOS, 3 Linux, 4 Android, 5 Windows Phone.' } },
      visitNumber: { decode: integer(0, LIMITS.maxId), doc: { type: 'integer', min: 0, max: LIMITS.maxId, description: 'The visit\'s number for this visitor.' } },
      timeSincePreviousVisit: { decode: integer(0, Number.MAX_SAFE_INTEGER), doc: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, description: 'Milliseconds since the previous visit.' } },
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
    example: { country: 'France', city: 'Paris', postalCode: '75001' },
    description: 'Where the visitor is.',
    fields: {
      country: { decode: label, required: true, doc: { ...LABEL_DOC, description: 'Country.' } },
      region: { decode: label, fallback: null, doc: { ...LABEL_DOC, description: 'Region.' } },
      city: { decode: label, fallback: null, doc: { ...LABEL_DOC, description: 'City.' } },
      postalCode: { decode: label, fallback: null, doc: { ...LABEL_DOC, description: 'Postal code.' } },
      latitude: { decode: finite(-90, 90), fallback: null, doc: { type: 'number', min: -90, max: 90, description: 'Latitude in degrees.' } },
      longitude: { decode: finite(-180, 180), fallback: null, doc: { type: 'number', min: -180, max: 180, description: 'Longitude in degrees.' } },
    },
  },
  activity: { example: {}, description: 'The visitor is active (keeps the visit open); no fields.', fields: {} },
};

const LONGEST_TYPE = Math.max(...Object.keys(EVENT_SPECS).map((t) => t.length));
const TYPE_BY_LOWER = new Map<string, EventType>(Object.keys(EVENT_SPECS).map((t) => [t.toLowerCase(), t as EventType]));

/** Event types match case-insensitively: SDKs send `customData`, the docs `CUSTOMDATA`. */
export function eventTypeOf(raw: string): EventType | undefined {
  if (raw.length > LONGEST_TYPE) return undefined; // no lower-cased copy of a megabyte string
  // The SDKs' own spelling first: no lower-cased copy for every event.
  return (Object.hasOwn(EVENT_SPECS, raw) ? (raw as EventType) : undefined) ?? TYPE_BY_LOWER.get(raw.toLowerCase());
}
