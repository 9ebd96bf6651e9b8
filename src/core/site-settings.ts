import { LIMITS } from './limits.ts';

/** Per-site settings and their defaults (DESIGN.md §1, "Site"). */
export interface SiteSettings {
  /** A gap longer than this between two events of a visitor code starts a new visit. */
  visitTimeoutMs: number;
  /** A conversion counts for an experiment up to this long after an exposure. */
  attributionWindowMs: number;
  /** How far back a client-supplied event time may go. */
  lateEventHorizonMs: number;
  /** Whether POST /visit/events, POST /map/maps and POST /visit/forget need a key. */
  privateIngest: boolean;
  /** Whether GET /visit/visitor, GET /map/map and GET /map/maps need a key. */
  privateReads: boolean;
  /** Whether POST /visit/forget may be called without a key (Kameleoon's behaviour; off by default). */
  openForget: boolean;
  /** Requests without a key per minute to this site's ingestion (events, map writes); null: the server's default. */
  ingestRequestsPerMinute: number | null;
  /** Requests without a key per minute to this site's visitor and map reads; null: the server's default. */
  readRequestsPerMinute: number | null;
  /** Entries (experiments, variations, goals) the site's registry may hold; null: the server's default. */
  maxRegistryEntries: number | null;
  /** Bytes the site's maps may hold (keys and their JSON); null: the server's default. */
  maxMapBytes: number | null;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  visitTimeoutMs: 30 * MINUTE,
  attributionWindowMs: 7 * DAY,
  lateEventHorizonMs: 30 * DAY,
  privateIngest: false,
  privateReads: false,
  openForget: false,
  ingestRequestsPerMinute: null,
  readRequestsPerMinute: null,
  maxRegistryEntries: null,
  maxMapBytes: null,
};

export interface Site {
  id: number;
  code: string;
  settings: SiteSettings;
}

/** Site codes are short project identifiers, as Kameleoon issues them. */
export const SITE_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/** A site's quotas: its own settings where set, else the server's defaults. */
export interface SiteQuotas {
  registryEntries: number;
  mapBytes: number;
}

export const DEFAULT_QUOTAS: SiteQuotas = { registryEntries: LIMITS.registryEntriesPerSite, mapBytes: LIMITS.mapBytesPerSite };

export function quotasOf(site: Site, defaults: SiteQuotas): SiteQuotas {
  return {
    registryEntries: site.settings.maxRegistryEntries ?? defaults.registryEntries,
    mapBytes: site.settings.maxMapBytes ?? defaults.mapBytes,
  };
}
