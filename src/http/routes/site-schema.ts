import { EVENT_TYPES } from '../../core/events.ts';
import { EXPERIMENT_STATUSES } from '../../core/registry.ts';
import { BOOLEAN, EPOCH_MS, INTEGER, nullable, object, STRING } from '../openapi.ts';
import { CONVERSION_VERDICT_SCHEMA, FIGURE_SCHEMA } from './results-schema.ts';

/** The answers about sites: a site and its settings, and the reads behind the dashboard. */

export const SITE_SETTINGS_SCHEMA = object({
  visitTimeoutMs: INTEGER,
  attributionWindowMs: INTEGER,
  lateEventHorizonMs: INTEGER,
  privateIngest: BOOLEAN,
  privateReads: BOOLEAN,
  openForget: BOOLEAN,
  ingestRequestsPerMinute: nullable({ ...INTEGER, description: 'Requests without a key per minute to ingestion; null: the server default (docs/security.md).' }),
  readRequestsPerMinute: nullable({ ...INTEGER, description: 'Requests without a key per minute to visitor and map reads; null: the server default.' }),
  maxRegistryEntries: nullable({ ...INTEGER, description: 'Experiments, variations and goals the registry may hold; null: the server default (ANOLE_REGISTRY_ENTRIES_PER_SITE).' }),
  maxMapBytes: nullable({ ...INTEGER, description: 'Bytes the site\'s maps may hold, keys included; null: the server default (ANOLE_MAP_BYTES_PER_SITE).' }),
});
export const SITE_SCHEMA = object({ siteCode: STRING, settings: SITE_SETTINGS_SCHEMA });

/** One site with what it uses of its quotas (docs/limits.md, "Quotas"). */
export const SITE_DETAIL_SCHEMA = object({
  siteCode: STRING,
  settings: SITE_SETTINGS_SCHEMA,
  usage: object({
    registryEntries: object({
      used: INTEGER,
      quota: INTEGER,
      refused: { ...INTEGER, description: 'Registrations of ids seen in events that the quota refused (each refusal counts; the events are stored).' },
    }),
    mapBytes: object({ used: { ...INTEGER, description: 'Keys and their JSON; expired keys count until purged.' }, quota: INTEGER }),
  }),
});

export const SITES_SCHEMA = object({
  sites: { type: 'array', items: SITE_SCHEMA },
  truncated: { ...BOOLEAN, description: 'More sites exist than were listed.' },
});

const DAY = { ...STRING, description: 'UTC day, YYYY-MM-DD.' };

export const OVERVIEW_SCHEMA = object({
  siteCode: STRING,
  settings: SITE_SETTINGS_SCHEMA,
  lastEventReceivedAt: nullable({ ...EPOCH_MS, description: 'Receive time of the site\'s latest event in the last 24 hours; null when none.' }),
  pendingRecomputations: INTEGER,
  experimentCount: { ...INTEGER, description: 'Experiments of the site in all.' },
  offset: { ...INTEGER, description: 'Experiments skipped before this page (in id order).' },
  truncated: { ...BOOLEAN, description: 'More experiments follow this page: ask again with offset = offset + experiments.length.' },
  experiments: {
    type: 'array',
    items: object({
      id: INTEGER,
      name: STRING,
      status: { type: 'string', enum: [...EXPERIMENT_STATUSES] },
      analysisPeriod: object({ start: nullable(EPOCH_MS), end: nullable(EPOCH_MS) }),
      variations: { type: 'array', items: object({ id: INTEGER, name: STRING, units: INTEGER }) },
      units: { ...INTEGER, description: 'Exposed units at visitor level (persons).' },
      firstUnitDay: nullable({ ...DAY, description: 'UTC day the first unit entered.' }),
      lastUnitDay: nullable({ ...DAY, description: 'UTC day the latest new unit entered.' }),
      daysRunning: nullable({ ...INTEGER, description: 'From the analysis start (else the first unit\'s day) to its end or now.' }),
      lastExposureAt: nullable({ ...EPOCH_MS, description: 'Time of the latest exposure event seen (not lowered by forget); null before the first.' }),
      srm: nullable(object({ pValue: FIGURE_SCHEMA, mismatch: BOOLEAN })),
      multipleVariationPersons: INTEGER,
      excludedOutlierVisits: INTEGER,
    }),
  },
});

const identity = object({ kind: { type: 'string', enum: ['visitorCode', 'mappingValue'] }, value: STRING });
export const STORED_EVENT_SCHEMA = object({
  type: { type: 'string', enum: [...EVENT_TYPES] },
  identity: { ...identity, description: 'The identity the event was sent with.' },
  nonce: STRING,
  time: EPOCH_MS,
  receivedAt: EPOCH_MS,
  data: { type: 'object', description: 'The event\'s fields, as GET /visit/visitor returns them (docs/events.md).' },
  itp: BOOLEAN,
  sdk: nullable(object({ name: STRING, version: STRING })),
});

export const LATEST_EVENTS_SCHEMA = object({
  siteCode: STRING,
  now: { ...EPOCH_MS, description: 'The server\'s clock when it read; the next poll passes `since` a few seconds before it.' },
  since: EPOCH_MS,
  scanLimit: { ...INTEGER, description: 'Newest rows of the site a filtered read looks at, at most.' },
  events: { type: 'array', items: STORED_EVENT_SCHEMA },
});

export const VISITOR_INSPECTION_SCHEMA = object({
  siteCode: STRING,
  identity,
  person: { ...STRING, description: '`m:<mapping value>` or `v:<visitor code>`: the unit of visitor-level results.' },
  visitorCodes: { type: 'array', items: STRING },
  links: { type: 'array', items: object({ visitorCode: STRING, mappingValue: STRING, time: EPOCH_MS }) },
  visitTimeoutMs: INTEGER,
  attributionWindowMs: INTEGER,
  visitCount: INTEGER,
  eventCount: INTEGER,
  truncated: { ...BOOLEAN, description: 'Older visits or events were left out (see docs/limits.md).' },
  visits: {
    type: 'array',
    items: object({
      visitorCode: STRING,
      timeStarted: EPOCH_MS,
      timeLastEvent: EPOCH_MS,
      current: BOOLEAN,
      eventCount: INTEGER,
      events: { type: 'array', items: STORED_EVENT_SCHEMA },
    }),
  },
  experiments: {
    type: 'array',
    items: object({
      experimentId: INTEGER,
      name: STRING,
      variationId: INTEGER,
      variationName: STRING,
      firstExposure: EPOCH_MS,
      variationsSeen: { type: 'array', items: object({ id: INTEGER, name: STRING }) },
      outlierVisits: INTEGER,
      conversions: { type: 'array', items: CONVERSION_VERDICT_SCHEMA },
    }),
  },
});
