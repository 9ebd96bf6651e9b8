import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { mapTtlHours, parseMapPatches } from '../core/maps.ts';
import { quotasOf, type SiteQuotas } from '../core/site-settings.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

export interface MapWriteDeps {
  storage: Storage;
  sites: SiteDirectory;
  /** The server's default quotas (a site's settings may set its own). */
  quotas: SiteQuotas;
}

export interface MapWrite {
  siteCode: string;
  body: string;
  /** ttlHours as sent; absent means the default. */
  ttlHours: string | undefined;
  now: number;
}

const HOUR = 3_600_000;

/**
 * POST /map/maps: validates the whole body, then merges every key in one transaction and refreshes
 * each written key's time to live. Answers once durable; nothing is written when anything is wrong.
 */
export async function writeMaps(deps: MapWriteDeps, request: MapWrite): Promise<{ keys: number }> {
  const ttl = mapTtlHours(request.ttlHours);
  if (ttl === null) throw new AnoleError('invalid_query', `ttlHours must be a whole number of hours from 1 to ${LIMITS.mapTtlMaxHours} (default ${LIMITS.mapTtlDefaultHours})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body);
  } catch (error) {
    throw new AnoleError('invalid_body', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const patches = parseMapPatches(parsed);
  if (!patches.ok) throw new AnoleError('invalid_body', patches.message);
  const site = await deps.sites.resolve(request.siteCode);
  if (patches.patches.length === 0) return { keys: 0 };
  const maxSiteBytes = quotasOf(site, deps.quotas).mapBytes;
  const result = await deps.storage.putMaps(site.id, patches.patches, { now: request.now, expiresAt: request.now + ttl * HOUR, maxSiteBytes });
  if (result.ok) return { keys: patches.patches.length };
  if (result.problem === 'map_too_large') {
    throw new AnoleError('map_too_large', `key ${JSON.stringify(result.key)} would hold more than ${LIMITS.mapStoredBytes} bytes of JSON once merged; nothing was written`);
  }
  throw new AnoleError(
    'quota_exceeded',
    `the maps of site ${site.code} hold ${result.siteBytes} bytes and this write would add ${result.adding}, over the site's map quota of ${result.quota} bytes ` +
      `(keys and their JSON; expired keys count until purged); nothing was written. Free space by deleting keys ({"<key>": {}}) or fields, ` +
      `or raise the quota: PATCH /api/sites/${site.code} {"maxMapBytes": <bytes>} (admin key), or ANOLE_MAP_BYTES_PER_SITE for every site`,
  );
}
