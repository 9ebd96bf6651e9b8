import type { FieldWarning } from './unknown-fields.ts';

/**
 * A number or boolean sent as a JSON string (`"revenue":"10.50"`): accepted, as the line format
 * carries every value as text and clients port their lines to JSON, but said, since a string where
 * a number belongs is often a bug upstream. strict=true refuses it (string_value).
 */
export interface StringValueWarning {
  code: 'string_value';
  field: string;
  message: string;
}

/** An experiment, variation or goal id the site's registry has no room for: the event is stored all the same. */
export interface RegistryWarning {
  code: 'registry_full';
  message: string;
}

export type EventWarning = FieldWarning | StringValueWarning | RegistryWarning;

/** The JSON type a scalar field's value should have, or null for fields that take text or structures. */
export function scalarKind(type: string): 'number' | 'boolean' | null {
  return type === 'integer' || type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : null;
}

const shown = (raw: string) => JSON.stringify(raw.length > 64 ? `${raw.slice(0, 64)}…` : raw);

/** The warning for `field` sent as the string `raw` and read as `value`. */
export function stringValueWarning(eventType: string, field: string, kind: 'number' | 'boolean', raw: string, value: unknown): StringValueWarning {
  return {
    code: 'string_value',
    field,
    message: `${eventType}: ${field} is the string ${shown(raw)}, not a JSON ${kind}; it was read as ${String(value)} (send it without quotes; strict=true refuses strings here)`,
  };
}

/** Why strict=true refuses `field` sent as the string `raw`. */
export function stringValueRefusal(eventType: string, field: string, kind: 'number' | 'boolean', raw: string): string {
  return `strict=true: ${eventType}: ${field} must be a JSON ${kind}, not the string ${shown(raw)}`;
}
