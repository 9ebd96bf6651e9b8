import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { mapTtlHours, parseMapPatches } from '../core/maps.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

export interface MapWriteDeps {
  storage: Storage;
  sites: SiteDirectory;
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
  const result = await deps.storage.putMaps(site.id, patches.patches, { now: request.now, expiresAt: request.now + ttl * HOUR });
  if (!result.ok) {
    throw new AnoleError('map_too_large', `key ${JSON.stringify(result.tooLargeKey)} would hold more than ${LIMITS.mapStoredBytes} bytes of JSON once merged; nothing was written`);
  }
  return { keys: patches.patches.length };
}
