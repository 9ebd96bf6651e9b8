import { createHash } from 'node:crypto';
import type { Contributions } from '../core/attribution/contributions.ts';
import type { ExperimentRecord, ExperimentStatus, GoalKind, GoalRecord } from '../core/registry.ts';
import type { PersonContributions } from './port.ts';

/** Engine-neutral row forms of the registry and of derived state, shared by both adapters. */

export interface ExperimentRow {
  id: number;
  name: string;
  reference_variation_id: number | null;
  traffic_split: string | null;
  period_start: number | null;
  period_end: number | null;
  status: string;
  variations: string;
}

export function toExperiment(row: ExperimentRow): ExperimentRecord {
  const variations = (JSON.parse(row.variations) as { id: number; name: string }[]).sort((a, b) => a.id - b.id);
  return {
    id: Number(row.id),
    name: row.name,
    variations,
    referenceVariationId: row.reference_variation_id === null ? null : Number(row.reference_variation_id),
    trafficSplit: row.traffic_split ? (JSON.parse(row.traffic_split) as Record<string, number>) : null,
    analysisPeriod: {
      start: row.period_start === null ? null : Number(row.period_start),
      end: row.period_end === null ? null : Number(row.period_end),
    },
    status: row.status as ExperimentStatus,
  };
}

export function toGoal(row: { id: number; name: string; kind: string }): GoalRecord {
  return { id: Number(row.id), name: row.name, kind: row.kind as GoalKind };
}

export function contributionsToJson(contributions: Contributions): string {
  return JSON.stringify([...contributions]);
}

/**
 * A person's contributions with their stored form (contributionsToJson of `next`) made by the
 * caller: SQLite's handles make it on the calling thread, so the writer thread, which every
 * acknowledgement waits for, does not (it was a sixth of a chunk's time there).
 */
export interface StoredContributions extends PersonContributions {
  nextJson?: string;
}

export function withStoredForm(persons: readonly PersonContributions[]): StoredContributions[] {
  return persons.map((person) => ({ ...person, nextJson: contributionsToJson(person.next) }));
}

export function contributionsFromJson(json: string | null | undefined): Contributions {
  return new Map(json ? (JSON.parse(json) as [string, number[]][]) : []);
}

export interface DirtyMark {
  siteId: number;
  idKind: number;
  identity: string;
  gen: number;
  /**
   * The oldest event time among the events appended under this identity since the mark was made
   * (FROM_SCRATCH when the mark asks for a recomputation from every event: forget, markAllDirty):
   * a person whose state was summed up to a later quiet point must be recomputed from scratch.
   */
  since: number;
}

/** Aggregate keys of one kind are `K|…`: the key range [`K|`, `K}`) holds exactly them (`}` follows `|`). */
export function aggregateKeyRange(kind: string): [string, string] {
  return [`${kind}|`, `${kind}}`];
}

/** `since` of a mark that asks for a recomputation from every event. */
export const FROM_SCRATCH = Number.MIN_SAFE_INTEGER;

/**
 * What a deleted person's version is kept under (Storage.replacePersonsContributions): SHA-256 of
 * its key, so that the record of a forgotten visitor names no one. Both adapters share it.
 */
export function personDigest(personKey: string): Buffer {
  return createHash('sha256').update(personKey).digest();
}
