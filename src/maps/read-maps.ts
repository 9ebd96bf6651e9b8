import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { mapKeyProblem, type MapFields } from '../core/maps.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

export interface MapReadDeps {
  storage: Storage;
  sites: SiteDirectory;
}

function checkKey(key: string): void {
  const problem = mapKeyProblem(key);
  if (problem) throw new AnoleError('invalid_query', problem);
}

/** The `keys` parameter of GET /map/maps: a JSON array of 1 to 100 key strings. */
export function parseKeysParam(raw: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AnoleError('invalid_query', 'keys must be a JSON array of strings, for example ["key1","key2"]');
  }
  if (!Array.isArray(parsed) || parsed.some((k) => typeof k !== 'string')) {
    throw new AnoleError('invalid_query', 'keys must be a JSON array of strings, for example ["key1","key2"]');
  }
  const keys = [...new Set(parsed as string[])];
  if (keys.length === 0) throw new AnoleError('invalid_query', 'keys must name at least one key');
  if (keys.length > LIMITS.mapKeysPerRead) throw new AnoleError('invalid_query', `keys names ${keys.length} keys; at most ${LIMITS.mapKeysPerRead} per request`);
  keys.forEach(checkKey);
  return keys;
}

async function siteIdFor(deps: MapReadDeps, siteCode: string): Promise<number | null> {
  const site = await deps.sites.lookup(siteCode);
  if (site) return site.id;
  if (deps.sites.autoCreate) return null;
  throw new AnoleError('unknown_site', `site ${siteCode} is not registered`);
}

/** GET /map/map: the key's live map, or `{}` when it has none (the SDKs fail on an empty body). */
export async function readMap(deps: MapReadDeps, query: { siteCode: string; key: string; now: number }): Promise<MapFields> {
  checkKey(query.key);
  const siteId = await siteIdFor(deps, query.siteCode);
  if (siteId === null) return {};
  const maps = await deps.storage.getMaps(siteId, [query.key], query.now);
  return maps.get(query.key) ?? {};
}

/** GET /map/maps: `{"<key>": <map>}` for the keys that have a live map; absent keys are left out. */
export async function readMaps(
  deps: MapReadDeps,
  query: {
    siteCode: string;
    keys: readonly string[];
    now: number;
    /** Waits for room in the process's memory budget for an answer of this many bytes of stored JSON. */
    reserve?: (bytes: number) => Promise<void>;
  },
): Promise<Record<string, MapFields>> {
  const siteId = await siteIdFor(deps, query.siteCode);
  if (siteId === null) return {};
  // Sizes first: an answer over the cap is refused before any map is loaded.
  const bytes = await deps.storage.mapBytes(siteId, query.keys, query.now);
  if (bytes > LIMITS.mapReadBytes) {
    throw new AnoleError('answer_too_large', `the maps of these ${query.keys.length} keys hold ${bytes} bytes of JSON; one GET /map/maps answers at most ${LIMITS.mapReadBytes}: ask for fewer keys`);
  }
  await query.reserve?.(bytes);
  const maps = await deps.storage.getMaps(siteId, query.keys, query.now);
  return Object.fromEntries(query.keys.filter((k) => maps.has(k)).map((k) => [k, maps.get(k)!]));
}
