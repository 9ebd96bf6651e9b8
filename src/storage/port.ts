import type { Identity, VisitorEvent } from '../core/events.ts';
import type { IdentityLink } from '../core/identity.ts';
import type { MapFields, MapPatch } from '../core/maps.ts';
import type { Site, SiteSettings } from '../core/site-settings.ts';
import type { Contributions } from '../core/attribution/contributions.ts';
import type { ExperimentRecord, GoalRecord, RegistryEntry, RegistryWrite, SeenIds } from '../core/registry.ts';
import type { DirtyMark } from './derived-rows.ts';

export { FROM_SCRATCH, type DirtyMark } from './derived-rows.ts';
/** admin: everything; read: every read, for viewers and BI tools; site: one site's ingestion, reads, maps and forget. */
export type ApiKeyRole = 'admin' | 'read' | 'site';
/** configured: ANOLE_ADMIN_KEY; generated: the first-start key; api: issued by POST /api/keys. */
export type ApiKeyOrigin = 'configured' | 'generated' | 'api';

/** A stored key: everything but the secret, of which only a keyed hash is kept. */
export interface ApiKeyRecord {
  id: number;
  role: ApiKeyRole;
  siteId: number | null;
  label: string;
  origin: ApiKeyOrigin;
  createdAt: number;
  /** Last use, recorded at most once a minute per node; null when never used. */
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface NewApiKey {
  hash: string;
  role: ApiKeyRole;
  siteId: number | null;
  label: string;
  origin: ApiKeyOrigin;
}

/** Configuring an admin key: it is the active one (and `replaced` keys configured before were revoked), or it was revoked before. */
export type ConfiguredKeyOutcome = { outcome: 'active'; id: number; replaced: number } | { outcome: 'revoked'; revokedAt: number };

/** `over_limit`: not stored, the identity already holds the most events one identity may hold. */
export type AppendVerdict = 'accepted' | 'duplicate' | 'over_limit';

export interface SiteEvent {
  siteId: number;
  event: VisitorEvent;
}

/** A person's new contributions to the result aggregates (see core/attribution/contributions.ts). */
export interface PersonContributions {
  personKey: string;
  next: Contributions;
  /** What the worker keeps to update the person incrementally next time (opaque text); absent: none. */
  state?: string | null;
}

/** The kinds of result aggregate rows (see core/attribution/contributions.ts): units, goals, daily goals, health. */
export type AggregateKind = 'U' | 'G' | 'D' | 'H';

/** Which of a site's latest events to read (the live tail): see Storage.latestEvents. */
export interface LatestEventsQuery {
  /** Only events received at or after this time (epoch ms). */
  since: number;
  /** At most this many events. */
  limit: number;
  /** Look among this many of the site's most recently received events, no further. */
  scan: number;
  type?: string;
  /** The identity value as sent (a visitor code or a mapping value). */
  identity?: string;
}

/** Which of an identity's events to read: those at or after `since` (FROM_SCRATCH: every one). See Storage.eventsSince. */
export interface EventRange {
  identity: Identity;
  since: number;
}

export interface EventPage {
  events: VisitorEvent[];
  cursor: string | null;
}

/**
 * One part of a site's recomputation from every event (after markAllDirty), as a worker holds it.
 * A store may split the recomputation in parts, each a scan of a share of the site's identities
 * that starts at a cursor of the store's, so that several workers share it; it is done when every
 * part is. `gen` moves when the site is marked again (each scan then starts over), `cursor` is
 * where the part's scan goes on (Storage.scanEvents; null: from the start of the site), `done`
 * persons were recomputed by it so far.
 */
export interface SiteRecompute {
  siteId: number;
  part: number;
  gen: number;
  cursor: string | null;
  done: number;
}

/**
 * A map write: done, or refused whole because one key's merged map would exceed LIMITS.mapStoredBytes
 * (`map_too_large`) or the site's maps would exceed their quota (`site_quota`: the site holds
 * `siteBytes`, the write would add `adding`).
 */
export type PutMapsResult =
  | { ok: true }
  | { ok: false; problem: 'map_too_large'; key: string }
  | { ok: false; problem: 'site_quota'; siteBytes: number; adding: number; quota: number };

/** What a site uses of its quotas (core/site-settings.ts, quotasOf). */
export interface SiteUsage {
  /** Experiments, variations and goals its registry holds. */
  registryEntries: number;
  /** Bytes of its stored maps, keys included (expired ones until purged). */
  mapBytes: number;
  /** Registry entries for ids seen in events that the quota refused, since the site was created (each refusal counts). */
  registryRefused: number;
}

/**
 * What POST /visit/forget deletes, decided by the privacy use-case (which knows identity rules).
 * Every deleted event leaves a tombstone (a digest of site, identity as sent and nonce, nothing
 * readable) so that a replay of the same event is answered `duplicate` and not stored again.
 */
export interface ForgetPlan {
  /** Every event sent under these identities. */
  identities: readonly Identity[];
  /** Single events sent under another identity that belong to a forgotten visitor. */
  events: readonly { identity: Identity; nonce: string }[];
  /** Link rows made by these visitor codes… */
  linkVisitorCodes: readonly string[];
  /** …or to these mapping values. */
  linkMappingValues: readonly string[];
  /** Map keys (a visitor code or user id used as a key). */
  mapKeys: readonly string[];
  /** Identities marked dirty in the same transaction, so that derived state drops what was forgotten. */
  dirty: readonly Identity[];
}

export interface ForgetCounts {
  events: number;
  links: number;
  maps: number;
}

export interface StoreStats {
  /** Events stored since the store was created (duplicates excluded). */
  events: number;
  /** Bytes the store occupies on disk, or null where the engine cannot say cheaply. */
  bytes: number | null;
  /** SiteUsage.registryRefused summed over every site. */
  registryRefused: number;
}

/**
 * The storage port: the only way Anole reads or writes data. Two adapters implement it (SQLite,
 * PostgreSQL) and one contract suite (contract/run-contract.ts) holds both to the same behaviour.
 */
export interface Storage {
  readonly engine: 'sqlite' | 'postgres';
  /** appendEvents calls worth running at once: 1 for an embedded single writer, more for a server. */
  readonly commitLanes: number;

  findSite(code: string): Promise<Site | null>;
  /** Creates the site if it does not exist (concurrent callers agree on one row) and returns it. */
  ensureSite(code: string, settings: SiteSettings): Promise<Site>;
  /** Sites in code order, at most `limit`. */
  listSites(limit: number): Promise<Site[]>;

  /**
   * Stores events in one transaction, in order, and answers one verdict per event: `duplicate` when
   * (site, identity as sent, nonce) is already stored, including earlier in the same call, or was
   * stored and then forgotten (it has a tombstone), and `over_limit` (not stored) when its identity
   * already holds the adapter's `eventsPerIdentity` events, counting those accepted before it in the
   * same call. Resolves
   * only once the transaction is durable. Mapping-identifier events add to the link history.
   */
  appendEvents(events: readonly SiteEvent[]): Promise<AppendVerdict[]>;
  /** Which of these events are already stored (dry runs): no write. */
  alreadyStored(events: readonly SiteEvent[]): Promise<boolean[]>;

  /**
   * The site's latest events, newest first by receive time: the bounded read behind the live tail.
   * Read through an index on (site, receive time): work is bounded by `scan` (the site's rows looked
   * at) and by the window, never by the size of the store or of other sites' traffic.
   */
  latestEvents(siteId: number, query: LatestEventsQuery): Promise<VisitorEvent[]>;
  /** Every stored event of these identities, in no particular order. */
  eventsOf(siteId: number, identities: readonly Identity[]): Promise<VisitorEvent[]>;
  /**
   * The events of each identity at or after its `since` (FROM_SCRATCH: all of them), in no
   * particular order, in one call: a worker round reads every person it recomputes this way. An
   * identity named twice is read once, from the smaller `since`. Read through the index on
   * (identity, time): the cost grows with the events answered, never with an identity's older
   * history.
   */
  eventsSince(siteId: number, ranges: readonly EventRange[]): Promise<VisitorEvent[]>;
  /**
   * One identity's events newest first (by time; ties in an order of the engine's choosing, the same
   * on every call): at most `limit` of them, starting below `cursor` (from the newest when absent),
   * and the cursor of the next page, null once the oldest event was answered. Its cost grows with
   * the page, never with the identity's history.
   */
  eventPage(siteId: number, identity: Identity, options: { limit: number; cursor?: string | null }): Promise<EventPage>;
  /**
   * The site's events, whole identities at a time, in an order of the engine's choosing that an
   * index gives (the same on every call): the events of the identities after `cursor` (from the
   * first when null), identity after identity, until at least `limit` events or the last identity,
   * and the cursor after them (null once the last identity was answered). An identity's events all
   * come in one page, and a page holds every event of its identities committed before it was read
   * (a worker's recomputation from a page is as fresh as the page). So every event stored before
   * the scan began and not forgotten is in exactly one page; one appended during the scan is in
   * the page of its identity when that page comes later, else only its own dirty mark covers it.
   * A cursor that begins a part of a recomputation (SiteRecompute) scans that part's identities
   * only; the parts of one recomputation hold every identity once.
   */
  scanEvents(siteId: number, options: { cursor: string | null; limit: number }): Promise<EventPage>;
  /** Every link, past and present, made by these visitor codes. */
  linksOfVisitorCodes(siteId: number, visitorCodes: readonly string[]): Promise<IdentityLink[]>;
  /** Every link, past and present, to these mapping values. */
  linksOfMappingValues(siteId: number, mappingValues: readonly string[]): Promise<IdentityLink[]>;

  /**
   * Applies map patches in one transaction (see mergeMap): every written key expires at `expiresAt`;
   * an expired key counts as absent. All or nothing: a merged map over the size limit, or a write
   * that grows the site's map bytes past `maxSiteBytes`, writes nothing. Such a write first deletes
   * up to LIMITS.quotaReclaimKeys of the site's expired keys (they count until deleted). A write
   * that does not grow the site's bytes is never refused by the quota.
   */
  putMaps(siteId: number, patches: readonly MapPatch[], options: { now: number; expiresAt: number; maxSiteBytes: number }): Promise<PutMapsResult>;
  /** The live (not expired) maps of these keys; absent keys are left out. */
  getMaps(siteId: number, keys: readonly string[], now: number): Promise<Map<string, MapFields>>;
  /** Bytes of stored JSON the live maps of these keys hold, read without loading them (a read's cap is checked first). */
  mapBytes(siteId: number, keys: readonly string[], now: number): Promise<number>;
  /** Deletes up to `limit` expired keys of any site (their bytes leave their sites' totals); answers how many. */
  purgeExpiredMaps(now: number, limit: number): Promise<number>;
  /** Deletes what the plan names in one transaction and leaves tombstones for the deleted events. Idempotent. */
  forgetVisitors(siteId: number, plan: ForgetPlan): Promise<ForgetCounts>;

  // Registry of experiments and goals (admin API; ids seen in events are registered automatically).
  listExperiments(siteId: number): Promise<ExperimentRecord[]>;
  getExperiment(siteId: number, experimentId: number): Promise<ExperimentRecord | null>;
  /**
   * Creates or replaces the experiment; its variations are upserted (never removed). Refused whole,
   * writing nothing, when the entries it adds (the experiment if new, its new variations) would take
   * the site's registry past `maxEntries`.
   */
  saveExperiment(siteId: number, experiment: ExperimentRecord, quota: { maxEntries: number }): Promise<RegistryWrite>;
  listGoals(siteId: number): Promise<GoalRecord[]>;
  /** Creates or replaces the goal; a new goal past `maxEntries` is refused. */
  saveGoal(siteId: number, goal: GoalRecord, quota: { maxEntries: number }): Promise<RegistryWrite>;
  /**
   * Registers ids not yet known, named after their id; known ones are left as they are. Only as many
   * as `maxEntries` leaves room for are registered, in the order of missingEntries; the others are
   * counted in the site's registryRefused and answered as `refused`. Concurrent callers on any
   * number of nodes never take the registry past its quota. Raises each registered experiment's
   * latest exposure to `seen.lastExposure`.
   */
  registerSeen(siteId: number, seen: SeenIds, quota: { maxEntries: number }): Promise<{ refused: number }>;
  /** The entries of `seen` the site's registry does not hold, in registration order (missingEntries). */
  missingRegistryEntries(siteId: number, seen: SeenIds): Promise<RegistryEntry[]>;
  /** What the site uses of its quotas. */
  siteUsage(siteId: number): Promise<SiteUsage>;
  /** The latest exposure time of each experiment of the site that has one. */
  lastExposures(siteId: number): Promise<Map<number, number>>;
  updateSiteSettings(siteId: number, settings: SiteSettings): Promise<Site>;
  siteById(siteId: number): Promise<Site | null>;

  // Derived state. appendEvents marks the identity of every accepted event dirty in its own
  // transaction; workers claim marks with a lease (a dead worker's marks return after it), recompute
  // the persons concerned, and complete the marks (a mark touched again meanwhile stays).
  claimDirty(options: { limit: number; leaseMs: number; now: number }): Promise<DirtyMark[]>;
  completeDirty(marks: readonly DirtyMark[]): Promise<void>;
  /**
   * Asks for every person of the site to be recomputed from every event (settings or periods
   * changed): one site-wide recomputation, in parts that workers claim and run each as a scan of
   * its share of the site's events (claimSiteRecompute), restarted from the beginning when one was
   * under way. Existing marks of the site move to a new generation and ask for a recomputation
   * from scratch, so a round that claimed them before keeps them. Answers the persons to recompute (the site's persons with
   * stored contributions), which dirtyBacklog counts down as the scan goes.
   */
  markAllDirty(siteId: number): Promise<number>;
  /**
   * Claims a part of a site-wide recomputation that no other worker holds (or whose holder's lease
   * ran out), for `leaseMs`; null when there is none.
   */
  claimSiteRecompute(options: { leaseMs: number; now: number }): Promise<SiteRecompute | null>;
  /**
   * Records a claimed part's progress: its scan now stands at `cursor` (null: finished, the part
   * is removed) with `persons` more recomputed, and the lease runs `leaseMs` from `now`. Answers false, changing nothing, when the recomputation moved on meanwhile (marked
   * again, or taken over by another worker after the lease): the holder must stop.
   */
  advanceSiteRecompute(job: SiteRecompute, progress: { cursor: string | null; persons: number; leaseMs: number; now: number }): Promise<boolean>;
  /**
   * A version of derived state larger than every one answered before, by any handle on any node. A
   * worker takes one after claiming its work (marks, a scan's step) and before reading what it
   * recomputes from, and writes with it (replacePersonsContributions).
   */
  nextDerivedVersion(): Promise<number>;
  /**
   * Replaces persons' contributions and adds (new − old) to the result aggregates, atomically, in
   * one transaction (the last entry of a person wins): a worker round pays one commit, and each
   * aggregate row is written once with the persons' summed deltas. A person whose stored
   * contributions, or whose deletion, were written with a larger `version` is left as it is: of
   * two workers recomputing one person at once, the one that read later stays, whichever writes
   * last (what the earlier one missed was read by the later one, or is marked dirty again).
   */
  replacePersonsContributions(siteId: number, persons: readonly PersonContributions[], options: { version: number }): Promise<void>;
  /** The states stored with these persons' contributions (persons without one are left out). */
  personStates(siteId: number, personKeys: readonly string[]): Promise<Map<string, string>>;
  /** The summed contributions of every person exposed to the experiment; only rows of these kinds when given. */
  resultAggregates(siteId: number, experimentId: number, kinds?: readonly AggregateKind[]): Promise<Contributions>;
  /** Dirty marks waiting (claimed or not), plus the persons site-wide recomputations have still to do (at least 1 each). */
  dirtyBacklog(): Promise<number>;

  // API keys, stored as keyed hashes only (see access/api-keys.ts).
  /** The key with this hash, revoked or not. */
  findApiKey(hash: string): Promise<ApiKeyRecord | null>;
  createApiKey(key: NewApiKey, now: number): Promise<ApiKeyRecord>;
  /** Every key, revoked ones included, oldest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes the key (idempotent: the first revocation time stays); null when there is no such key. */
  revokeApiKey(id: number, now: number): Promise<ApiKeyRecord | null>;
  /** Records that these keys were used at `now`. */
  touchApiKeys(ids: readonly number[], now: number): Promise<void>;
  /**
   * Makes `hash` the one configured admin key, atomically: a key configured before is revoked; a
   * hash that was revoked before is refused (a node started with an old value must not bring it back).
   */
  configureAdminKey(hash: string, now: number): Promise<ConfiguredKeyOutcome>;
  /** Replaces a key's stored hash (a key hashed the old way, re-hashed once its secret is at hand). */
  rehashApiKey(oldHash: string, newHash: string): Promise<boolean>;
  /** Keys of this role that are not revoked. */
  countApiKeys(role: ApiKeyRole): Promise<number>;
  /**
   * Stores `value` under `name` unless a value is stored already, and answers the stored one: nodes
   * agree on server-wide values (such as the key-secret check) without a race.
   */
  claimServerValue(name: string, value: string): Promise<string>;

  stats(): Promise<StoreStats>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The API-key methods: one part each adapter builds in its own file. */
export type ApiKeyStoragePart = Pick<
  Storage,
  'findApiKey' | 'createApiKey' | 'listApiKeys' | 'revokeApiKey' | 'touchApiKeys' | 'configureAdminKey' | 'rehashApiKey' | 'countApiKeys' | 'claimServerValue'
>;

/** The registry and derived-state methods: one part each adapter builds in its own file. */
export type DerivedStoragePart = Pick<
  Storage,
  | 'listExperiments'
  | 'getExperiment'
  | 'saveExperiment'
  | 'listGoals'
  | 'saveGoal'
  | 'registerSeen'
  | 'lastExposures'
  | 'missingRegistryEntries'
  | 'siteUsage'
  | 'updateSiteSettings'
  | 'siteById'
  | 'claimDirty'
  | 'completeDirty'
  | 'markAllDirty'
  | 'claimSiteRecompute'
  | 'advanceSiteRecompute'
  | 'nextDerivedVersion'
  | 'replacePersonsContributions'
  | 'personStates'
  | 'resultAggregates'
  | 'dirtyBacklog'
>;
