import { describe } from 'vitest';
import { apiKeysContract } from './api-keys-contract.ts';
import { contributionsContract } from './contributions-contract.ts';
import { derivedContract } from './derived-contract.ts';
import { eventPagesContract } from './event-pages-contract.ts';
import { eventsContract } from './events-contract.ts';
import { forgetContract } from './forget-contract.ts';
import { healthContract } from './health-contract.ts';
import { identityLimitContract } from './identity-limit-contract.ts';
import { incrementalContract } from './incremental-contract.ts';
import { linksContract } from './links-contract.ts';
import { mapsContract } from './maps-contract.ts';
import { quotasContract } from './quotas-contract.ts';
import { recomputeContract } from './recompute-contract.ts';
import { siteReadsContract } from './site-reads-contract.ts';
import { sitesContract } from './sites-contract.ts';
import type { StorageFactory } from './storage-factory.ts';

export type ContractPart = 'sites' | 'events' | 'eventPages' | 'links' | 'maps' | 'forget' | 'derived' | 'contributions' | 'incremental' | 'identityLimit' | 'apiKeys' | 'health' | 'site-reads' | 'quotas' | 'recompute';

const PARTS: Record<ContractPart, (makeStorage: StorageFactory) => void> = {
  sites: sitesContract,
  events: eventsContract,
  eventPages: eventPagesContract,
  links: linksContract,
  maps: mapsContract,
  forget: forgetContract,
  derived: derivedContract,
  contributions: contributionsContract,
  apiKeys: apiKeysContract,
  incremental: incrementalContract,
  identityLimit: identityLimitContract,
  health: healthContract,
  'site-reads': siteReadsContract,
  quotas: quotasContract,
  recompute: recomputeContract,
};

export interface ContractOptions {
  /** Parts an engine cannot pass yet, each with the reason printed in the test name. */
  skip?: Partial<Record<ContractPart, string>>;
  /** Set when the whole engine is unavailable here (e.g. no PostgreSQL server); printed as the reason. */
  unavailable?: string | null;
}

/** The storage contract (DESIGN.md §3): every adapter runs the same suite; skips carry their reason. */
export function runStorageContract(name: string, makeStorage: StorageFactory, options: ContractOptions = {}): void {
  if (options.unavailable) {
    describe.skip(`storage contract: ${name} (skipped: ${options.unavailable})`, () => {
      for (const part of Object.values(PARTS)) part(makeStorage);
    });
    return;
  }
  describe(`storage contract: ${name}`, () => {
    for (const [part, run] of Object.entries(PARTS) as [ContractPart, (f: StorageFactory) => void][]) {
      const reason = options.skip?.[part];
      if (reason) describe.skip(`${part} (skipped: ${reason})`, () => run(makeStorage));
      else run(makeStorage);
    }
  });
}
