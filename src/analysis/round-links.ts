import type { IdentityLink } from '../core/identity.ts';
import type { Storage } from '../storage/port.ts';

type LinkReader = (siteId: number, keys: readonly string[]) => Promise<IdentityLink[]>;

/** Where a key's links are remembered (a module function, not a closure made per call: docs/architecture.md, Threads). */
function slot(siteId: number, key: string): string {
  return `${siteId}\u0000${key}`;
}

function remembering(read: LinkReader, keyOf: (link: IdentityLink) => string): LinkReader {
  const known = new Map<string, IdentityLink[]>();
  // Called for every identity of a round, mostly with one key already known: loops, not
  // filter/Set/flatMap, which allocated a few arrays a call.
  return async (siteId, keys) => {
    let missing: string[] | null = null;
    for (const key of keys) {
      const at = slot(siteId, key);
      if (known.has(at)) continue;
      known.set(at, []);
      (missing ??= []).push(key);
    }
    if (missing) for (const link of await read(siteId, missing)) known.get(slot(siteId, keyOf(link)))?.push(link);
    const out: IdentityLink[] = [];
    for (const key of keys) for (const link of known.get(slot(siteId, key))!) out.push(link);
    return out;
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
