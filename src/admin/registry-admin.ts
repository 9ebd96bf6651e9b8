import { z } from 'zod';
import { AnoleError } from '../core/error-codes.ts';
import { hasControlCharacter } from '../core/identifiers.ts';
import { LIMITS } from '../core/limits.ts';
import { EXPERIMENT_STATUSES, GOAL_KINDS, defaultExperiment, type ExperimentRecord, type GoalRecord, type RegistryWrite } from '../core/registry.ts';
import { quotasOf, type Site, type SiteQuotas, type SiteSettings } from '../core/site-settings.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

const DAY = 86_400_000;
// Stored as text on both engines: no control characters (PostgreSQL text cannot hold a NUL).
const name = z.string().trim().min(1).max(200).refine((v) => !hasControlCharacter(v), 'must not contain control characters');
const id = z.number().int().min(0).max(LIMITS.maxId);
const epochMs = z.number().int().min(0).max(8.64e15).nullable();

export const SITE_SETTINGS_PATCH = z
  .object({
    visitTimeoutMs: z.number().int().min(60_000).max(DAY),
    attributionWindowMs: z.number().int().min(0).max(365 * DAY),
    lateEventHorizonMs: z.number().int().min(0).max(LIMITS.maxLateEventHorizonMs),
    privateIngest: z.boolean(),
    privateReads: z.boolean(),
    openForget: z.boolean(),
    ingestRequestsPerMinute: z.number().int().min(1).max(1e9).nullable(),
    readRequestsPerMinute: z.number().int().min(1).max(1e9).nullable(),
    maxRegistryEntries: z.number().int().min(0).max(1e9).nullable(),
    maxMapBytes: z.number().int().min(0).max(2 ** 50).nullable(),
  })
  .partial()
  .strict();

/**
 * An expected split the SRM test can use: two or more variations, each expected to get at least
 * LIMITS.trafficSplitMinShare of the traffic. A weight of 0 would put a variation where no unit is
 * expected (leave it out instead), and one of 10⁻³⁰⁰ turns a single unit into χ² ≈ 10³⁰⁰.
 */
function checkSplit(split: Record<string, number>, context: z.RefinementCtx): void {
  const weights = Object.values(split);
  const problem = (message: string) => context.addIssue({ code: 'custom', message });
  if (weights.length < 2) return problem('trafficSplit needs at least two variations (omit it, or set null, for an equal split)');
  if (weights.length > 100) return problem('trafficSplit names at most 100 variations');
  if (weights.some((w) => !(w > 0))) return problem('every trafficSplit weight must be > 0; leave out a variation that gets no traffic');
  const total = weights.reduce((a, b) => a + b, 0);
  if (weights.some((w) => w / total < LIMITS.trafficSplitMinShare * (1 - 1e-12))) {
    return problem(`every trafficSplit weight must be at least ${LIMITS.trafficSplitMinShare} of their total (${LIMITS.trafficSplitMinShare * 100}%)`);
  }
}

const goalKind = z.enum(GOAL_KINDS);
/** PUT: the whole goal; what is left out takes its default (`Goal <id>`, `conversion`). */
export const GOAL_BODY = z.object({ name: name.optional(), kind: goalKind.default('conversion') }).strict();
/** PATCH: only what is sent changes. */
export const GOAL_PATCH = z.object({ name, kind: goalKind }).partial().strict();

const variations = z.array(z.object({ id, name }).strict()).max(100);
const trafficSplit = z
  .record(z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'variation ids are integers').refine((k) => Number(k) <= LIMITS.maxId, 'variation ids are at most 2147483647'), z.number().max(1e6))
  .superRefine(checkSplit)
  .nullable();
const status = z.enum(EXPERIMENT_STATUSES);

/**
 * PUT: the whole experiment, replacing the stored one; what is left out takes its default (name
 * `Experiment <id>`, no reference, an equal split, an unbounded period, running). Variations are
 * kept, as results name them. PATCH below changes only what it sends.
 */
export const EXPERIMENT_BODY = z
  .object({
    name: name.optional(),
    variations: variations.default([]),
    referenceVariationId: id.nullable().default(null),
    trafficSplit: trafficSplit.default(null),
    analysisPeriod: z.object({ start: epochMs.default(null), end: epochMs.default(null) }).strict().default({ start: null, end: null }),
    status: status.default('running'),
  })
  .strict();

export const EXPERIMENT_PATCH = z
  .object({
    name,
    variations,
    referenceVariationId: id.nullable(),
    trafficSplit,
    analysisPeriod: z.object({ start: epochMs, end: epochMs }).partial().strict(),
    status,
  })
  .partial()
  .strict();

/** Parses an admin body: input is unknown until a schema accepts it. */
export function parseBody<T>(schema: z.ZodType<T>, raw: unknown): T {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = raw === '' ? {} : JSON.parse(raw);
    } catch {
      throw new AnoleError('invalid_body', 'the body must be JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AnoleError('invalid_body', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${explain(schema, issue)}`).join('; '));
  }
  return parsed.data;
}

/** zod's message, with the keys the object accepts when it names one it does not. */
function explain(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const allowed = keysAt(schema, issue.path);
  const unknown = issue.keys.map((k) => JSON.stringify(k.slice(0, 64))).join(', ');
  return `unknown key${issue.keys.length > 1 ? 's' : ''} ${unknown}${allowed ? `; allowed keys: ${allowed.join(', ')}` : ''}`;
}

/** The keys of the object schema at `path` inside `schema`, through optional, default, nullable and array wrappers. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | null {
  const unwrap = (s: z.ZodType | undefined): z.ZodType | undefined => {
    let current = s;
    for (let depth = 0; current && !(current instanceof z.ZodObject) && !(current instanceof z.ZodArray) && depth < 10; depth++) {
      const def = current._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
      current = def.innerType ?? def.in;
    }
    return current;
  };
  let current = unwrap(schema);
  for (const key of path) {
    if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
    else if (current instanceof z.ZodObject) current = unwrap((current.shape as Record<string, z.ZodType>)[String(key)]);
    else return null;
  }
  if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : null;
}

export interface AdminDeps {
  storage: Storage;
  sites: SiteDirectory;
  /** The server's default quotas (a site's settings may set its own). */
  quotas: SiteQuotas;
}

/**
 * Changing how visits or attribution are cut changes every derived figure of the site. Raising the
 * registry quota of a site that refused entries recomputes it too: the ids refused meanwhile are
 * registered as the worker meets them again.
 */
export async function updateSiteSettings(deps: AdminDeps, site: Site, patch: Partial<SiteSettings>): Promise<{ site: Site; recomputing: number }> {
  const next = { ...site.settings, ...patch };
  const updated = await deps.storage.updateSiteSettings(site.id, next);
  deps.sites.forget(site.code);
  const derivedChanged = next.visitTimeoutMs !== site.settings.visitTimeoutMs || next.attributionWindowMs !== site.settings.attributionWindowMs;
  const registryGrew =
    quotasOf(updated, deps.quotas).registryEntries > quotasOf(site, deps.quotas).registryEntries && (await deps.storage.siteUsage(site.id)).registryRefused > 0;
  return { site: updated, recomputing: derivedChanged || registryGrew ? await deps.storage.markAllDirty(site.id) : 0 };
}

/** What a site uses of its quotas, beside the quotas themselves (GET /api/sites/{site}). */
export async function siteQuotaUsage(deps: AdminDeps, site: Site) {
  const usage = await deps.storage.siteUsage(site.id);
  const quotas = quotasOf(site, deps.quotas);
  return {
    registryEntries: { used: usage.registryEntries, quota: quotas.registryEntries, refused: usage.registryRefused },
    mapBytes: { used: usage.mapBytes, quota: quotas.mapBytes },
  };
}

/** An experiment the registry does not hold (404): said so, and when the registry is full, why and what to do. */
export async function experimentNotRegistered(deps: AdminDeps, site: Site, experimentId: number): Promise<AnoleError> {
  const { registryEntries } = await deps.storage.siteUsage(site.id);
  const quota = quotasOf(site, deps.quotas).registryEntries;
  const full =
    registryEntries >= quota
      ? `; the site's registry is full (${registryEntries} of ${quota} entries), so ids first seen in events are not registered: ` +
        `raise the quota with PATCH /api/sites/${site.code} {"maxRegistryEntries": <entries>}, and its events are counted in results`
      : '';
  return new AnoleError('not_found', `experiment ${experimentId} is not registered on site ${site.code}${full}`);
}

/** A registry write the quota refused: what is full, and the two ways out. */
function registryFull(site: Site, what: string, refused: Extract<RegistryWrite, { ok: false }>): AnoleError {
  return new AnoleError(
    'quota_exceeded',
    `the registry of site ${site.code} holds ${refused.entries} of its ${refused.quota} entries (experiments, variations and goals) and ${what} would add ${refused.adding}; ` +
      `nothing was written. Raise the quota: PATCH /api/sites/${site.code} {"maxRegistryEntries": <entries>}, or ANOLE_REGISTRY_ENTRIES_PER_SITE for every site`,
  );
}

/** PUT: replaces the experiment (absent fields take their defaults). */
export async function saveExperiment(deps: AdminDeps, site: Site, experimentId: number, body: z.infer<typeof EXPERIMENT_BODY>) {
  const previous = await deps.storage.getExperiment(site.id, experimentId);
  return store(deps, site, previous, { ...defaultExperiment(experimentId), ...body, name: body.name ?? defaultExperiment(experimentId).name, id: experimentId });
}

/** PATCH: changes only the fields sent; an experiment not registered yet starts from the defaults. */
export async function patchExperiment(deps: AdminDeps, site: Site, experimentId: number, patch: z.infer<typeof EXPERIMENT_PATCH>) {
  const previous = await deps.storage.getExperiment(site.id, experimentId);
  const base = previous ?? defaultExperiment(experimentId);
  const { analysisPeriod, ...rest } = patch;
  return store(deps, site, previous, { ...base, ...rest, analysisPeriod: { ...base.analysisPeriod, ...analysisPeriod }, id: experimentId });
}

async function store(deps: AdminDeps, site: Site, previous: ExperimentRecord | null, record: ExperimentRecord) {
  const { start, end } = record.analysisPeriod;
  if (start !== null && end !== null && start > end) {
    throw new AnoleError('invalid_body', `analysisPeriod.start (${new Date(start).toISOString()}) must not be after analysisPeriod.end (${new Date(end).toISOString()})`);
  }
  if (record.referenceVariationId !== null) {
    const known = new Set([...(previous?.variations ?? []), ...record.variations].map((v) => v.id));
    if (!known.has(record.referenceVariationId)) {
      record.variations = [...record.variations, { id: record.referenceVariationId, name: `Variation ${record.referenceVariationId}` }];
    }
  }
  const saved = await deps.storage.saveExperiment(site.id, record, { maxEntries: quotasOf(site, deps.quotas).registryEntries });
  if (!saved.ok) throw registryFull(site, `experiment ${record.id}`, saved);
  const periodChanged =
    (previous?.analysisPeriod.start ?? null) !== record.analysisPeriod.start || (previous?.analysisPeriod.end ?? null) !== record.analysisPeriod.end;
  const recomputing = periodChanged ? await deps.storage.markAllDirty(site.id) : 0;
  return { experiment: await deps.storage.getExperiment(site.id, record.id), recomputing };
}

/** PUT: replaces the goal (absent fields take their defaults). */
export async function saveGoal(deps: AdminDeps, site: Site, goalId: number, body: z.infer<typeof GOAL_BODY>): Promise<GoalRecord> {
  return storeGoal(deps, site, { id: goalId, name: body.name ?? `Goal ${goalId}`, kind: body.kind });
}

/** PATCH: changes only the fields sent; a goal not registered yet starts from the defaults. */
export async function patchGoal(deps: AdminDeps, site: Site, goalId: number, patch: z.infer<typeof GOAL_PATCH>): Promise<GoalRecord> {
  const previous = (await deps.storage.listGoals(site.id)).find((g) => g.id === goalId);
  return storeGoal(deps, site, { id: goalId, name: patch.name ?? previous?.name ?? `Goal ${goalId}`, kind: patch.kind ?? previous?.kind ?? 'conversion' });
}

async function storeGoal(deps: AdminDeps, site: Site, goal: GoalRecord): Promise<GoalRecord> {
  const saved = await deps.storage.saveGoal(site.id, goal, { maxEntries: quotasOf(site, deps.quotas).registryEntries });
  if (!saved.ok) throw registryFull(site, `goal ${goal.id}`, saved);
  return goal;
}
