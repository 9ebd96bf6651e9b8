/**
 * Every input limit Anole enforces, in one place, so that docs/limits.md, the validators and the
 * hostile-input tests all speak of the same numbers. Limits that an operator may change live in
 * config.ts and default to the values here.
 */
export const LIMITS = {
  /** Parameters of one query string (repeats included); more is a 400 before any route runs. */
  queryParameters: 256,
  /** Default body limit of POST /visit/events, as documented for the hosted service (3 MB). */
  eventsBodyBytes: 3 * 1024 * 1024,
  /** Events (non-empty lines or array items) in one POST /visit/events. */
  eventsPerRequest: 100_000,
  /** siteCode: short project identifiers, letters, digits, `_` and `-`. */
  siteCodeLength: 64,
  /** visitorCode / mappingValue: the SDKs allow up to 255 characters (the docs say 100). */
  identityLength: 255,
  /** One line of the line format, in characters. */
  lineLength: 64 * 1024,
  /** Ids (goal, experiment, variation, segment, custom data index): 0 ≤ id ≤ 2^31 − 1. */
  maxId: 2_147_483_647,
  /**
   * A number sent as text (line format, or a JSON string), in characters, surrounding spaces
   * included: a double has 17 significant digits, so anything longer is not a number a client means.
   */
  numberLength: 64,
  /** Revenue magnitude: finite and below 10^12 so sums stay exact in a double. */
  maxRevenue: 1e12,
  /** href, referrer and other URLs. */
  urlLength: 4096,
  /** Titles, geolocation names, custom data values and keys, metadata values. */
  textLength: 1024,
  /** Entries of a valuesCountMap or of conversion metadata. */
  mapEntries: 100,
  /** Items of an index array such as referrersIndices. */
  arrayItems: 100,
  /** Nesting depth of conversion metadata (`{"3":["a"]}` is 2): deeper JSON cannot be serialized safely. */
  metadataDepth: 8,
  /** The largest late-event horizon a site may set (PATCH /api/sites/{site} lateEventHorizonMs): 366 days. */
  maxLateEventHorizonMs: 366 * 24 * 3_600_000,
  /** Warnings about unknown fields one event's verdict lists (the rest are counted in one more line). */
  warningsPerEvent: 10,
  /**
   * Rejected events one POST /visit/events answer lists whole, with their message (verdicts, or the
   * `errors` of invalid_events); every rejected event is also named by code and position in compact
   * ranges, so an answer never grows many times its body.
   */
  listedRejections: 1_000,
  /** Warnings one answer lists (on the first events that carry any); the other events' are counted only. */
  listedWarnings: 1_000,
  /** A client-supplied event time may lie at most this far in the future (clock skew). */
  futureSkewMs: 5 * 60 * 1000,
  /** maxNumberPreviousVisits above this is clamped (the SDKs allow 1..25). */
  maxPreviousVisits: 25,
  /** Body of POST /map/maps and of POST /visit/forget, as documented for the hosted service (1 MB). */
  mapsBodyBytes: 1024 * 1024,
  forgetBodyBytes: 1024 * 1024,
  /** A map key (usually a visitor code or a user id), in characters. */
  mapKeyLength: 100,
  /** A field name inside a map, in characters. */
  mapFieldNameLength: 1024,
  /** Keys one GET /map/maps may ask for. */
  mapKeysPerRead: 100,
  /**
   * The stored JSON one GET /map/maps may answer, summed over its keys: 100 keys of up to 1 MB
   * each would otherwise turn a 16 KB request into a 100 MB answer.
   */
  mapReadBytes: 4 * 1024 * 1024,
  /** Nesting depth of a map field's JSON value: deeper values cannot be serialized back safely. */
  mapValueDepth: 64,
  /** One key's map once merged, as JSON: merges may grow a map past the body limit otherwise. */
  mapStoredBytes: 1024 * 1024,
  /** Time to live of a map key, refreshed on every write: default and maximum (366 days). */
  mapTtlDefaultHours: 2208,
  mapTtlMaxHours: 8784,
  /** Smallest share of an experiment's expected traffic split one variation may be given (0.01%). */
  trafficSplitMinShare: 1e-4,
  /** Body of POST /api/sites/{site}/imports (a whole file, streamed: never held in memory). */
  importBodyBytes: 1024 * 1024 * 1024,
  /** Rejected rows listed in an import's JSON answer; errors=csv answers every one. */
  importErrorsListed: 100,
  /**
   * Events one identity (a visitor code or a mapping value, as sent) may hold, by default
   * (ANOLE_MAX_EVENTS_PER_IDENTITY): a visitor read returns whole visits and a person's
   * recomputation reads the person's events, so no history may grow without bound.
   */
  eventsPerIdentity: 100_000,
  /** Sites whose settings one process keeps in memory (least recently used evicted): codes are client input. */
  siteCacheEntries: 10_000,
  /** Visitor codes one POST /visit/forget may name: each is a transaction's worth of deletes. */
  forgetVisitorsPerRequest: 10_000,
  /**
   * Quotas of one site (operator defaults in config.ts, per-site overrides in its settings): entries
   * of its registry (experiments, their variations and goals) and bytes of its maps (each key's
   * UTF-8 bytes plus its stored JSON). An open site is writable by anyone: without them, a script
   * could grow its registry and maps without end.
   */
  registryEntriesPerSite: 10_000,
  mapBytesPerSite: 256 * 1024 * 1024,
  /** Expired keys of its site a map write that would cross the map quota reclaims first (the purge timer does the rest). */
  quotaReclaimKeys: 1_000,
  /** API keys not revoked at once: more is a leak of keys nobody tracks. */
  activeKeys: 1_000,
  /** A key's label, in characters. */
  keyLabelLength: 200,
  /**
   * HTTP defaults (operator settings in config.ts): a whole request, its headers, an idle keep-alive
   * connection, a connection on which nothing moves; connections of the process and of one address.
   */
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 120_000,
  maxConnections: 4_096,
  maxConnectionsPerAddress: 512,
  /** Sites one GET /api/sites lists (auto-created sites may be many): the first ones in code order. */
  sitesPerList: 1_000,
  /** Experiments one GET /api/sites/{site}/overview summarises (a page, in id order; `offset` pages on). */
  overviewExperiments: 500,
  /** Events one read of the live tail returns at most (`limit`), and its default. */
  latestEventsPerRead: 500,
  latestEventsDefault: 100,
  /** Rows of the site a filtered live-tail read looks at, newest first (by an index): its cost never grows with the store. */
  latestEventsScan: 50_000,
  /** How far back the live tail looks: its first read widens 1 min → 1 h → this until `limit` events are found. */
  latestEventsWindowMs: 24 * 60 * 60 * 1000,
  /** Visits and events one visitor inspection returns: the newest ones (the answer says when some were left out). */
  inspectorVisits: 200,
  inspectorEvents: 5_000,
} as const;
