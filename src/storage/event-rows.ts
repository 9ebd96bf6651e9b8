import type { EventType, IdentityKind, SdkInfo, VisitorEvent } from '../core/events.ts';
import type { IdentityLink } from '../core/identity.ts';
import { DEFAULT_SITE_SETTINGS, type Site, type SiteSettings } from '../core/site-settings.ts';
import type { EventRange } from './port.ts';

/**
 * The engine-neutral row form of an event, shared by both adapters so that what one stores the
 * other reads back identically. `data` is the typed event data as JSON text.
 */
export interface EventRow {
  id_kind: number;
  identity: string;
  nonce: string;
  type: string;
  time: number;
  received_at: number;
  data: string;
  itp: number;
  sdk: string | null;
}

const KIND_CODES: Record<IdentityKind, number> = { visitorCode: 0, mappingValue: 1 };
const KINDS: IdentityKind[] = ['visitorCode', 'mappingValue'];

export function identityKindCode(kind: IdentityKind): number {
  return KIND_CODES[kind];
}

export function toEventRow(event: VisitorEvent): EventRow {
  return {
    id_kind: KIND_CODES[event.identity.kind],
    identity: event.identity.value,
    nonce: event.nonce,
    type: event.type,
    time: event.time,
    received_at: event.receivedAt,
    data: JSON.stringify(event.data),
    itp: event.itp ? 1 : 0,
    sdk: sdkText(event.sdk),
  };
}

/** The stored form of an event's SDK: `name/version`. */
export function sdkText(sdk: SdkInfo | null): string | null {
  return sdk ? `${sdk.name}/${sdk.version}` : null;
}

function parseSdk(sdk: string | null): SdkInfo | null {
  if (!sdk) return null;
  const slash = sdk.indexOf('/');
  return { name: sdk.slice(0, slash), version: sdk.slice(slash + 1) };
}

export function fromEventRow(row: EventRow): VisitorEvent {
  return eventOfColumns(row.id_kind, row.identity, row.nonce, row.type, row.time, row.received_at, row.data, row.itp, row.sdk);
}

/** An event from its stored columns, one by one (a row read as an array, or as an EventRow). */
export function eventOfColumns(
  idKind: number,
  identity: string,
  nonce: string,
  type: string,
  time: number,
  receivedAt: number,
  data: string,
  itp: number,
  sdk: string | null,
): VisitorEvent {
  return {
    type: type as EventType,
    data: JSON.parse(data),
    identity: { kind: KINDS[Number(idKind)] ?? 'visitorCode', value: identity },
    nonce,
    time: Number(time),
    receivedAt: Number(receivedAt),
    itp: Boolean(Number(itp)),
    sdk: parseSdk(sdk),
  } as VisitorEvent;
}

/** An identity link row; `time` may arrive as text (PostgreSQL bigint), always far below 2^53. */
export interface LinkRow {
  mapping_value: string;
  visitor_code: string;
  time: number | string;
  nonce: string;
}

export function fromLinkRow(row: LinkRow): IdentityLink {
  return { mappingValue: row.mapping_value, visitorCode: row.visitor_code, time: Number(row.time), nonce: row.nonce };
}

export interface SiteRow {
  id: number;
  code: string;
  settings: string;
}

/** Settings added after a site was stored take their defaults. */
export function fromSiteRow(row: SiteRow): Site {
  return { id: Number(row.id), code: row.code, settings: { ...DEFAULT_SITE_SETTINGS, ...(JSON.parse(row.settings) as Partial<SiteSettings>) } };
}

/** Each identity once, with the smallest `since` asked for it (Storage.eventsSince). */
export function widestRanges(ranges: readonly EventRange[]): EventRange[] {
  const byKey = new Map<string, EventRange>();
  for (const range of ranges) {
    const key = `${range.identity.kind}\u0000${range.identity.value}`;
    const known = byKey.get(key);
    if (!known || range.since < known.since) byKey.set(key, range);
  }
  return [...byKey.values()];
}
