/**
 * The de-duplication and visitor keys of logged events, in the two forms the SQLite adapter keeps:
 * exact strings in memory for the log's unindexed tail, and compact 53-bit hashes in the on-disk
 * index (sqlite-key-index.ts). A hash match is always confirmed against the log row, so collisions
 * cost a read, never an event.
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

export function identityKey(siteId: number, kind: number, identity: string): string {
  return `${siteId}\u0000${kind}\u0000${identity}`;
}

export function eventKey(identityKeyText: string, nonce: string): string {
  return `${identityKeyText}\u0000${nonce}`;
}

/** One logged event's key, as held in memory until it is merged into the on-disk indexes. */
export interface LoggedKey {
  seq: number;
  siteId: number;
  vkey: number;
  nkey: number;
  /** The event's time: `event_times` orders an identity's events by it. */
  time: number;
  /** identityKey(site, kind, identity) */
  identity: string;
  /** eventKey(identity, nonce) */
  event: string;
}

export function loggedKey(seq: number, siteId: number, kind: number, identity: string, nonce: string, time: number): LoggedKey {
  const id = identityKey(siteId, kind, identity);
  return { seq, siteId, vkey: identityHash(kind, identity), nkey: keyHash(nonce), time, identity: id, event: eventKey(id, nonce) };
}

/** Index order: the order a merge writes keys in, so that each index page is written once. */
export function compareKeys(a: LoggedKey, b: LoggedKey): number {
  return a.siteId - b.siteId || a.vkey - b.vkey || a.nkey - b.nkey || a.seq - b.seq;
}

const BUCKETS = 4096;
const BUCKET_WIDTH = 2 ** 53 / BUCKETS;

/**
 * Which rows of a run of the log belong to each identity, with their times: what a reading thread
 * needs of the unmerged tail to find a visitor's events (newest first) without the writer's exact
 * de-duplication keys. Rows are kept as flat (seq, time) pairs per identity, in arrival order.
 */
export class IdentityTail {
  private readonly rows = new Map<string, number[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(identity: string, seq: number, time: number): void {
    const pairs = this.rows.get(identity);
    if (pairs) pairs.push(seq, time);
    else this.rows.set(identity, [seq, time]);
    this.count += 1;
  }

  /** Flat (seq, time) pairs of the identity's rows. */
  pairsOf(identity: string): readonly number[] {
    return this.rows.get(identity) ?? NONE;
  }

  remove(identity: string, seq: number): void {
    const pairs = this.rows.get(identity);
    if (!pairs) return;
    const left: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] !== seq) left.push(pairs[i]!, pairs[i + 1]!);
    if (left.length > 0) this.rows.set(identity, left);
    else this.rows.delete(identity);
  }
}

const NONE: readonly number[] = [];

/**
 * Exact keys of a run of log rows not (yet) in the on-disk index: answers "is this event stored?"
 * and "which rows are this identity's?" for that run without touching the disk.
 */
export class KeyTail {
  private readonly byEvent = new Map<string, number>();
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
    this.byEvent.set(key.event, key.seq);
    this.identities.add(key.identity, key.seq, key.time);
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

  seqOf(event: string): number | undefined {
    return this.byEvent.get(event);
  }

  /** Whether the key is still live here (a forgotten row's key is dropped, and not merged). */
  holds(key: LoggedKey): boolean {
    return this.byEvent.get(key.event) === key.seq;
  }

  /** Drops the keys of forgotten rows. */
  remove(deleted: readonly Pick<LoggedKey, 'seq' | 'identity' | 'event'>[]): void {
    for (const { seq, identity, event } of deleted) {
      if (this.byEvent.get(event) === seq) this.byEvent.delete(event);
      this.identities.remove(identity, seq);
    }
  }
}
