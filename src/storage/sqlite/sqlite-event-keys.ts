import { IdentityTail } from './sqlite-identity-tail.ts';
import { KeyRows } from './sqlite-key-table.ts';

/**
 * The de-duplication and visitor keys of logged events: compact 53-bit hashes, in memory for the
 * log's unindexed tail (typed arrays, sqlite-key-table.ts) and in the on-disk index
 * (sqlite-key-index.ts). A hash match is always confirmed against the log row, so collisions cost a
 * read, never an event.
 *
 * The hashes are stored: changing `keyHash` (or the strings it is fed) needs a migration that
 * rebuilds `event_keys`.
 */

// cyrb53's state while a key is hashed: module-level, so that a key made of several strings is
// hashed without joining them into a new string first (identityHash runs for every event appended).
let h1 = 0;
let h2 = 0;

function begin(): void {
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
}

function feedCode(c: number): void {
  h1 = Math.imul(h1 ^ c, 2654435761);
  h2 = Math.imul(h2 ^ c, 1597334677);
}

function feed(text: string): void {
  for (let i = 0; i < text.length; i++) feedCode(text.charCodeAt(i));
}

function end(): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** cyrb53: 53 well-mixed bits, exact in a JavaScript number and a SQLite INTEGER. */
export function keyHash(text: string): number {
  begin();
  feed(text);
  return end();
}

/**
 * The hash of an identity as sent: keyHash of `kind NUL identity`, as the migration computes it
 * from `id_kind || char(0) || identity`, fed piece by piece.
 */
export function identityHash(kind: number, identity: string): number {
  begin();
  feed(String(kind));
  feedCode(0);
  feed(identity);
  return end();
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

const BUCKETS = 4096;
const BUCKET_WIDTH = 2 ** 53 / BUCKETS;

/** A frozen tail's rows in index order, bucket by bucket: what a merge walks. */
export interface MergeOrder {
  /** Row numbers of the tail, bucket after bucket; a bucket is sorted when the merge reaches it. */
  rows: Uint32Array;
  /** Bucket b is rows[starts[b]] up to rows[starts[b + 1]]. */
  starts: Uint32Array;
}

/**
 * The keys of a run of log rows not (yet) in the on-disk index: answers "is this event stored?"
 * (by hash, each match confirmed against the log by the caller) and "which rows are this
 * identity's?" for that run without touching the disk.
 */
export class KeyTail {
  readonly rows = new KeyRows();
  readonly identities = new IdentityTail();

  get size(): number {
    return this.rows.length;
  }

  add(key: LoggedKey): void {
    this.rows.add(key.siteId, key.vkey, key.nkey, key.seq, key.time);
    this.identities.add(key.siteId, key.vkey, key.seq, key.time);
  }

  /**
   * The rows in buckets of index order (sites, then the identity hash's top 12 bits), by a counting
   * sort: sorting each small bucket just before it is merged gives index order without sorting the
   * whole run at once (0.5 s of the writer for 500k keys, measured).
   */
  mergeOrder(): MergeOrder {
    const { rows } = this;
    const sites = new Map<number, number>();
    for (let r = 0; r < rows.length; r++) sites.set(rows.siteAt(r), 0);
    [...sites.keys()].sort((a, b) => a - b).forEach((site, rank) => sites.set(site, rank));
    const bucketOf = (r: number) => sites.get(rows.siteAt(r))! * BUCKETS + Math.floor(rows.vkeyAt(r) / BUCKET_WIDTH);
    const starts = new Uint32Array(sites.size * BUCKETS + 1);
    for (let r = 0; r < rows.length; r++) starts[bucketOf(r) + 1]! += 1;
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    const fill = starts.slice(0, -1);
    const order = new Uint32Array(rows.length);
    for (let r = 0; r < rows.length; r++) order[fill[bucketOf(r)]!++] = r;
    return { rows: order, starts };
  }

  /** Whether `confirm` accepts the row of one of the seqs held under this key's hashes. */
  some(key: LoggedKey, confirm: (seq: number) => boolean): boolean {
    return this.rows.some(key.siteId, key.vkey, key.nkey, confirm);
  }

  /** Drops the keys of forgotten rows (they are then not merged). */
  remove(deleted: readonly LoggedKey[]): void {
    for (const key of deleted) {
      const r = this.rows.rowOf(key.siteId, key.vkey, key.nkey, key.seq);
      if (r >= 0) this.rows.kill(r);
      this.identities.remove(key.siteId, key.vkey, key.seq);
    }
  }
}
