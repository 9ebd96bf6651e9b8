import type { IdentityLink } from '../core/identity.ts';
import type { Storage } from '../storage/port.ts';

type LinkReader = (siteId: number, keys: readonly string[]) => Promise<IdentityLink[]>;

function remembering(read: LinkReader, keyOf: (link: IdentityLink) => string): LinkReader {
  const known = new Map<string, IdentityLink[]>();
  return async (siteId, keys) => {
    const slot = (key: string) => `${siteId}\u0000${key}`;
    const missing = [...new Set(keys.filter((key) => !known.has(slot(key))))];
    if (missing.length > 0) {
      for (const key of missing) known.set(slot(key), []);
      for (const link of await read(siteId, missing)) known.get(slot(keyOf(link)))?.push(link);
    }
    return keys.flatMap((key) => known.get(slot(key)) ?? []);
  };
}

/**
 * The store as one worker round sees it: link reads are remembered for the round. Finding the
 * persons a mark touches, their codes and then their events reads the same links several times
 * over. A link added meanwhile marks its identity dirty again, so the next round sees it, as it
 * would if the round had read everything a moment earlier.
 */
export function withRoundLinks(storage: Storage): Storage {
  return {
    ...storage,
    linksOfVisitorCodes: remembering((siteId, codes) => storage.linksOfVisitorCodes(siteId, codes), (link) => link.visitorCode),
    linksOfMappingValues: remembering((siteId, values) => storage.linksOfMappingValues(siteId, values), (link) => link.mappingValue),
  };
}
