import { addSeenIds, describeEntry, type RegistryEntry, type SeenIds } from '../core/registry.ts';
import { quotasOf, type Site, type SiteQuotas } from '../core/site-settings.ts';
import type { SiteEvent, Storage } from '../storage/port.ts';
import type { RegistryWarning } from './event-warnings.ts';

const keyOf = (entry: RegistryEntry) => (entry.kind === 'variation' ? `v:${entry.experimentId}:${entry.id}` : `${entry.kind[0]}:${entry.id}`);

/**
 * For verdicts and dry runs: the events whose experiment, variation or goal id the site's registry
 * has no room for, each with its warning (by index into `events`). Such events are stored and
 * attributed all the same; only the registry entry is not made, so the id has no results until the
 * quota is raised. Two reads, and only when some id of the request is not registered yet.
 */
export async function registryWarnings(
  storage: Storage,
  site: Site,
  quotas: SiteQuotas,
  events: readonly SiteEvent[],
  options: { dryRun: boolean },
): Promise<Map<number, RegistryWarning>> {
  const out = new Map<number, RegistryWarning>();
  const seen: SeenIds = { experiments: new Map(), goals: new Set() };
  for (const { event } of events) addSeenIds(seen, event);
  if (seen.experiments.size === 0 && seen.goals.size === 0) return out;
  const missing = await storage.missingRegistryEntries(site.id, seen);
  if (missing.length === 0) return out;
  const { registryEntries } = await storage.siteUsage(site.id);
  const quota = quotasOf(site, quotas).registryEntries;
  // The worker registers missing entries in this same order while there is room (missingEntries).
  const left = missing.slice(Math.max(0, quota - registryEntries));
  if (left.length === 0) return out;
  const refused = new Map(left.map((entry) => [keyOf(entry), entry]));
  events.forEach(({ event }, i) => {
    const entry =
      event.type === 'experiment'
        ? (refused.get(`e:${event.data.id}`) ?? refused.get(`v:${event.data.id}:${event.data.variationId}`))
        : event.type === 'conversion'
          ? refused.get(`g:${event.data.goalId}`)
          : undefined;
    if (!entry) return;
    out.set(i, {
      code: 'registry_full',
      message:
        `${describeEntry(entry)} is not registered and will not be: the registry of site ${site.code} holds ${registryEntries} of its ${quota} entries. ` +
        `The event ${options.dryRun ? 'would be' : 'is'} stored and counted, but ${describeEntry(entry)} gets no results until the quota is raised ` +
        `(PATCH /api/sites/${site.code} {"maxRegistryEntries": <entries>}, admin key)`,
    });
  });
  return out;
}
