import { linkFromEvent } from '../core/identity.ts';
import { identityKindCode, sdkText, type EventRow } from './event-rows.ts';
import type { AppendVerdict, SiteEvent } from './port.ts';

/**
 * A batch of events in flat columns, in the row form both adapters store (event-rows.ts). This is
 * how events cross from the HTTP thread to a writer: arrays of strings and numbers are copied by
 * the structured clone as flat data (about 1 µs per event), where the event objects themselves cost
 * an order of magnitude more.
 */
export interface EventColumns {
  site: number[];
  kind: number[];
  identity: string[];
  nonce: string[];
  type: string[];
  time: number[];
  receivedAt: number[];
  /** The typed event data as JSON text. */
  data: string[];
  itp: number[];
  sdk: (string | null)[];
  /** For a mapping-identifier event: the mapping value it links its visitor code to; else null. */
  link: (string | null)[];
}

/**
 * Columns are grown by `push`, never created at their length (`new Array(n)`): an array made with
 * holes stays "holey" once filled, and the structured clone copies a holey array element by
 * element as a sparse one, twice the time and half again the bytes of a packed one (measured).
 */
export function emptyColumns(): EventColumns {
  return { site: [], kind: [], identity: [], nonce: [], type: [], time: [], receivedAt: [], data: [], itp: [], sdk: [], link: [] };
}

/** Pushes one event in toEventRow's form, field by field: no row object per event on the hot path. */
export function pushEvent(columns: EventColumns, { siteId, event }: SiteEvent): void {
  columns.site.push(siteId);
  columns.kind.push(identityKindCode(event.identity.kind));
  columns.identity.push(event.identity.value);
  columns.nonce.push(event.nonce);
  columns.type.push(event.type);
  columns.time.push(event.time);
  columns.receivedAt.push(event.receivedAt);
  columns.data.push(JSON.stringify(event.data));
  columns.itp.push(event.itp ? 1 : 0);
  columns.sdk.push(sdkText(event.sdk));
  columns.link.push(linkFromEvent(event)?.mappingValue ?? null);
}

export function toEventColumns(events: readonly SiteEvent[]): EventColumns {
  const columns = emptyColumns();
  for (const event of events) pushEvent(columns, event);
  return columns;
}

/** Appends every row of `more` to `target`. */
export function appendColumns(target: EventColumns, more: EventColumns): void {
  for (const name of Object.keys(target) as (keyof EventColumns)[]) {
    const into = target[name] as unknown[];
    for (const value of more[name] as unknown[]) into.push(value);
  }
}

export function rowOf(columns: EventColumns, i: number): EventRow {
  return {
    id_kind: columns.kind[i]!,
    identity: columns.identity[i]!,
    nonce: columns.nonce[i]!,
    type: columns.type[i]!,
    time: columns.time[i]!,
    received_at: columns.receivedAt[i]!,
    data: columns.data[i]!,
    itp: columns.itp[i]!,
    sdk: columns.sdk[i]!,
  };
}

/** Verdicts cross threads as one byte each. */
export const VERDICT_CODES: Record<AppendVerdict, number> = { accepted: 0, duplicate: 1, over_limit: 2 };
export const VERDICT_NAMES: readonly AppendVerdict[] = ['accepted', 'duplicate', 'over_limit'];
