import type { Identity, VisitorEvent } from '../core/events.ts';
import type { IdentityLink } from '../core/identity.ts';
import type { Site, SiteSettings } from '../core/site-settings.ts';

export type AppendVerdict = 'accepted' | 'duplicate';

export interface SiteEvent {
  siteId: number;
  event: VisitorEvent;
}

export interface StoreStats {
  /** Events stored since the store was created (duplicates excluded). */
  events: number;
  /** Bytes the store occupies on disk, or null where the engine cannot say cheaply. */
  bytes: number | null;
}

/**
 * The storage port: the only way Anole reads or writes data. Two adapters implement it (SQLite,
 * PostgreSQL) and one contract suite (storage-contract.ts) holds both to the same behaviour.
 */
export interface Storage {
  readonly engine: 'sqlite' | 'postgres';

  findSite(code: string): Promise<Site | null>;
  /** Creates the site if it does not exist (concurrent callers agree on one row) and returns it. */
  ensureSite(code: string, settings: SiteSettings): Promise<Site>;

  /**
   * Stores events in one transaction, in order, and answers one verdict per event: `duplicate` when
   * (site, identity as sent, nonce) is already stored, including earlier in the same call. Resolves
   * only once the transaction is durable. Mapping-identifier events add to the link history.
   */
  appendEvents(events: readonly SiteEvent[]): Promise<AppendVerdict[]>;
  /** Which of these events are already stored (dry runs): no write. */
  alreadyStored(events: readonly SiteEvent[]): Promise<boolean[]>;

  /** Every stored event of these identities, in no particular order. */
  eventsOf(siteId: number, identities: readonly Identity[]): Promise<VisitorEvent[]>;
  /** Every link, past and present, made by these visitor codes. */
  linksOfVisitorCodes(siteId: number, visitorCodes: readonly string[]): Promise<IdentityLink[]>;
  /** Every link, past and present, to these mapping values. */
  linksOfMappingValues(siteId: number, mappingValues: readonly string[]): Promise<IdentityLink[]>;

  stats(): Promise<StoreStats>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
