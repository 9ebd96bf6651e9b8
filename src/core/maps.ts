import { identifierProblem } from './identifiers.ts';
import { LIMITS } from './limits.ts';

/**
 * Maps: a key (usually a visitor code or a user id) holds a JSON object of fields, written by
 * POST /map/maps and read by GET /map/map(s) and the SDKs' getRemoteData / warehouse audiences.
 */
export type MapFields = Record<string, unknown>;

/** One key of a POST /map/maps body: the fields to set; a `null` field deletes that field. */
export interface MapPatch {
  key: string;
  fields: MapFields;
}

export type ParsedPatches = { ok: true; patches: MapPatch[] } | { ok: false; message: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nesting depth of a JSON value, without recursion (a hostile body may nest deeper than the stack). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    max = Math.max(max, depth);
    if (max > LIMITS.mapValueDepth) return max;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Checks a key as sent in a query or a body (the identifier rule); null when it is acceptable. */
export function mapKeyProblem(key: string): string | null {
  const problem = identifierProblem(key, LIMITS.mapKeyLength);
  return problem === null ? null : `map key ${JSON.stringify(key.slice(0, 40))}${key.length > 40 ? '…' : ''} ${problem}`;
}

/** Reads a POST /map/maps body: `{"<key>": {"<field>": <any JSON>}}`. All or nothing. */
export function parseMapPatches(body: unknown): ParsedPatches {
  if (!isPlainObject(body)) return { ok: false, message: 'the body must be a JSON object of keys, each mapped to an object of fields' };
  const patches: MapPatch[] = [];
  for (const [key, fields] of Object.entries(body)) {
    const keyProblem = mapKeyProblem(key);
    if (keyProblem) return { ok: false, message: keyProblem };
    if (!isPlainObject(fields)) return { ok: false, message: `the value of key ${JSON.stringify(key)} must be a JSON object of fields ({} deletes the key)` };
    for (const [name, value] of Object.entries(fields)) {
      if (name.length > LIMITS.mapFieldNameLength) {
        return { ok: false, message: `key ${JSON.stringify(key)}: a field name is longer than ${LIMITS.mapFieldNameLength} characters` };
      }
      if (depthOf(value) > LIMITS.mapValueDepth) {
        return { ok: false, message: `key ${JSON.stringify(key)}, field ${JSON.stringify(name.slice(0, 40))}: the value nests deeper than ${LIMITS.mapValueDepth} levels` };
      }
    }
    patches.push({ key, fields });
  }
  return { ok: true, patches };
}

/**
 * Applies one patch to a key's current fields (null when the key is absent or expired): a shallow,
 * field-level merge where `null` deletes a field and an empty patch deletes the key. Answers the new
 * fields, or null when the key is to be deleted (an empty map is never stored).
 */
export function mergeMap(current: MapFields | null, patch: MapFields): MapFields | null {
  if (Object.keys(patch).length === 0) return null;
  const merged: MapFields = { ...(current ?? {}) };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    // Defined, not assigned: `merged.__proto__ = v` would set the prototype and drop the field.
    else Object.defineProperty(merged, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return Object.keys(merged).length === 0 ? null : merged;
}

/** ttlHours as sent, or the default; null when out of range. */
export function mapTtlHours(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return LIMITS.mapTtlDefaultHours;
  if (!/^[0-9]{1,9}$/.test(raw)) return null;
  const hours = Number(raw);
  return hours >= 1 && hours <= LIMITS.mapTtlMaxHours ? hours : null;
}
