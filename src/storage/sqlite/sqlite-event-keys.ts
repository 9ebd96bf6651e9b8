import { IdentityTail } from './sqlite-identity-tail.ts';
import { KeySeqTable } from './sqlite-key-table.ts';

/**
 * The de-duplication and visitor keys of logged events: compact 53-bit hashes, in memory for the
 * log's unindexed tail (typed arrays, sqlite-key-table.ts) and in the on-disk index
 * (sqlite-key-index.ts). A hash match is always confirmed against the log row, so collisions cost a
 * read, never an event.
 *
 * The hashes are stored: changing `keyHash` (or the strings it is fed) needs a migration that
 * rebuilds `event_keys`.
 */

/** cyrb53: 53 well-mixed bits, exact in a JavaScript number and a SQLite INTEGER. */
export function keyHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The hash of an identity as sent; the migration computes the same from `id_kind || char(0) || identity`. */
export function identityHash(kind: number, identity: string): number {
  return keyHash(`${kind}\u0000${identity}`);
}

/** One logged event's key, as held in memory until it is merged into the on-disk indexes. */
export interface LoggedKey {
  seq: number;
  siteId: number;
  vkey: number;
  nkey: number;
  /** The event's time: `event_times` orders an identity's events by it. */
  time: number;
}

export function loggedKey(seq: number, siteId: number, kind: number, identity: string, nonce: string, time: number): LoggedKey {
  return { seq, siteId, vkey: identityHash(kind, identity), nkey: keyHash(nonce), time };
}

/** Index order: the order a merge writes keys in, so that each index page is written once. */
export function compareKeys(a: LoggedKey, b: LoggedKey): number {
  return a.siteId - b.siteId || a.vkey - b.vkey || a.nkey - b.nkey || a.seq - b.seq;
}

const BUCKETS = 4096;
const BUCKET_WIDTH = 2 ** 53 / BUCKETS;

/**
 * The keys of a run of log rows not (yet) in the on-disk index: answers "is this event stored?"
 * (by hash, each match confirmed against the log by the caller) and "which rows are this
 * identity's?" for that run without touching the disk.
 */
export class KeyTail {
  private readonly byEvent = new KeySeqTable();
  readonly identities = new IdentityTail();
  // Keys split by site and by the identity hash's top 12 bits as they arrive: sorting each small
  // bucket just before it is merged gives index order without sorting the whole run at once (0.5 s
  // of the writer for 500k keys, measured).
  private readonly bySite = new Map<number, LoggedKey[][]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(key: LoggedKey): void {
    this.byEvent.add(key.siteId, key.vkey, key.nkey, key.seq);
    this.identities.add(key.siteId, key.vkey, key.seq, key.time);
    let buckets = this.bySite.get(key.siteId);
    if (!buckets) this.bySite.set(key.siteId, (buckets = new Array<LoggedKey[]>(BUCKETS)));
    const b = Math.floor(key.vkey / BUCKET_WIDTH);
    (buckets[b] ??= []).push(key);
    this.count += 1;
  }

  /** The keys in buckets of index order (sites, then hash ranges); each bucket still to be sorted. */
  buckets(): LoggedKey[][] {
    const out: LoggedKey[][] = [];
    for (const site of [...this.bySite.keys()].sort((a, b) => a - b)) {
      for (const bucket of this.bySite.get(site)!) if (bucket) out.push(bucket);
    }
    return out;
  }

  /** Whether `confirm` accepts the row of one of the seqs held under this key's hashes. */
  some(key: LoggedKey, confirm: (seq: number) => boolean): boolean {
    return this.byEvent.some(key.siteId, key.vkey, key.nkey, confirm);
  }

  /** Whether the key is still live here (a forgotten row's key is dropped, and not merged). */
  holds(key: LoggedKey): boolean {
    return this.byEvent.has(key.siteId, key.vkey, key.nkey, key.seq);
  }

  /** Drops the keys of forgotten rows. */
  remove(deleted: readonly LoggedKey[]): void {
    for (const key of deleted) {
      this.byEvent.remove(key.siteId, key.vkey, key.nkey, key.seq);
      this.identities.remove(key.siteId, key.vkey, key.seq);
    }
  }
}
