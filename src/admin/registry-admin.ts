import { z } from 'zod';
import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { EXPERIMENT_STATUSES, GOAL_KINDS, defaultExperiment, type ExperimentRecord, type GoalRecord } from '../core/registry.ts';
import type { Site, SiteSettings } from '../core/site-settings.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';

const DAY = 86_400_000;
const name = z.string().trim().min(1).max(200);
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

export const GOAL_BODY = z.object({ name, kind: z.enum(GOAL_KINDS).default('conversion') }).strict();

export const EXPERIMENT_BODY = z
  .object({
    name,
    variations: z.array(z.object({ id, name }).strict()).max(100).default([]),
    referenceVariationId: id.nullable().default(null),
    trafficSplit: z
      .record(z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'variation ids are integers').refine((k) => Number(k) <= LIMITS.maxId, 'variation ids are at most 2147483647'), z.number().max(1e6))
      .superRefine(checkSplit)
      .nullable()
      .default(null),
    analysisPeriod: z.object({ start: epochMs.default(null), end: epochMs.default(null) }).strict().default({ start: null, end: null }),
    status: z.enum(EXPERIMENT_STATUSES).default('running'),
  })
  .strict()
  .refine((e) => e.analysisPeriod.start === null || e.analysisPeriod.end === null || e.analysisPeriod.start <= e.analysisPeriod.end, {
    message: 'analysisPeriod.start must not be after analysisPeriod.end',
  })


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
    throw new AnoleError('invalid_body', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

export interface AdminDeps {
  storage: Storage;
  sites: SiteDirectory;
}

/** Changing how visits or attribution are cut changes every derived figure of the site. */
export async function updateSiteSettings(deps: AdminDeps, site: Site, patch: Partial<SiteSettings>): Promise<{ site: Site; recomputing: number }> {
  const next = { ...site.settings, ...patch };
  const updated = await deps.storage.updateSiteSettings(site.id, next);
  deps.sites.forget(site.code);
  const derivedChanged = next.visitTimeoutMs !== site.settings.visitTimeoutMs || next.attributionWindowMs !== site.settings.attributionWindowMs;
  return { site: updated, recomputing: derivedChanged ? await deps.storage.markAllDirty(site.id) : 0 };
}

export async function saveExperiment(deps: AdminDeps, site: Site, experimentId: number, body: z.infer<typeof EXPERIMENT_BODY>) {
  const previous = await deps.storage.getExperiment(site.id, experimentId);
  const record: ExperimentRecord = { ...defaultExperiment(experimentId), ...body, id: experimentId };
  if (record.referenceVariationId !== null) {
    const known = new Set([...(previous?.variations ?? []), ...record.variations].map((v) => v.id));
    if (!known.has(record.referenceVariationId)) {
      record.variations = [...record.variations, { id: record.referenceVariationId, name: `Variation ${record.referenceVariationId}` }];
    }
  }
  await deps.storage.saveExperiment(site.id, record);
  const periodChanged =
    (previous?.analysisPeriod.start ?? null) !== record.analysisPeriod.start || (previous?.analysisPeriod.end ?? null) !== record.analysisPeriod.end;
  const recomputing = periodChanged ? await deps.storage.markAllDirty(site.id) : 0;
  return { experiment: await deps.storage.getExperiment(site.id, experimentId), recomputing };
}

export async function saveGoal(deps: AdminDeps, site: Site, goalId: number, body: z.infer<typeof GOAL_BODY>): Promise<GoalRecord> {
  const goal: GoalRecord = { id: goalId, name: body.name, kind: body.kind };
  await deps.storage.saveGoal(site.id, goal);
  return goal;
}
