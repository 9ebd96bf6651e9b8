/**
 * Which rows of a run of the log belong to each identity, with their times: what a thread needs of
 * the unmerged tail to find a visitor's events (newest first) and to count them, without the
 * writer's de-duplication keys. Identities are named by (site, identity hash), as in the on-disk
 * index: two identities sharing a hash share an entry, and every row found through it is confirmed
 * against the log by the reader (a collision costs a read, never a wrong event).
 *
 * Each entry keeps its rows in (time, seq) order, so a page of a visitor's events costs the rows it
 * returns, not a sort of the whole entry: rows arrive in time order nearly always (appended in O(1));
 * the few that arrive late (a backfill, an offline conversion) wait in a small unsorted list that is
 * folded into the ordered one once it holds LATE_MAX rows.
 */

/** (time, seq) of a row: pages are read newest first, and a cursor is the last position taken. */
export interface Position {
  time: number;
  seq: number;
}

export const below = (a: Position, b: Position): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

/** Whether pair `i` of flat (seq, time) pairs is below `from`. */
const pairBelow = (pairs: readonly number[], i: number, from: Position): boolean =>
  pairs[2 * i + 1]! < from.time || (pairs[2 * i + 1] === from.time && pairs[2 * i]! < from.seq);

/** Late rows an entry keeps unsorted: a page sorts at most these, whatever the identity's size. */
const LATE_MAX = 256;

interface Entry {
  /** Flat (seq, time) pairs in (time, seq) order. */
  ordered: number[];
  /** Flat (seq, time) pairs that arrived below the last ordered one, unsorted. */
  late: number[];
}

/** The rows of one entry below a position, newest first, one at a time. */
export interface TailCursor {
  /** The next row, or undefined when there is none. */
  peek(): Position | undefined;
  advance(): void;
}

const EXHAUSTED: TailCursor = { peek: () => undefined, advance: () => undefined };

export class IdentityTail {
  private readonly bySite = new Map<number, Map<number, Entry>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(siteId: number, vkey: number, seq: number, time: number): void {
    let site = this.bySite.get(siteId);
    if (!site) this.bySite.set(siteId, (site = new Map()));
    const entry = site.get(vkey);
    this.count += 1;
    if (!entry) {
      site.set(vkey, { ordered: [seq, time], late: [] });
      return;
    }
    const { ordered } = entry;
    const n = ordered.length;
    const lastTime = ordered[n - 1]!;
    if (n === 0 || time > lastTime || (time === lastTime && seq > ordered[n - 2]!)) ordered.push(seq, time);
    else {
      entry.late.push(seq, time);
      if (entry.late.length >= 2 * LATE_MAX) fold(entry);
    }
  }

  /** Rows held for the identity. */
  countOf(siteId: number, vkey: number): number {
    const entry = this.bySite.get(siteId)?.get(vkey);
    return entry ? (entry.ordered.length + entry.late.length) / 2 : 0;
  }

  /** Seqs of the identity's rows, in no particular order. */
  seqsOf(siteId: number, vkey: number): number[] {
    const entry = this.bySite.get(siteId)?.get(vkey);
    if (!entry) return [];
    const out: number[] = [];
    for (const pairs of [entry.ordered, entry.late]) for (let i = 0; i < pairs.length; i += 2) out.push(pairs[i]!);
    return out;
  }

  /** Seqs of the identity's rows at or after `since`, in no particular order. */
  seqsSince(siteId: number, vkey: number, since: number, out: number[]): void {
    const entry = this.bySite.get(siteId)?.get(vkey);
    if (!entry) return;
    const { ordered, late } = entry;
    // The first pair at or after `since`: every pair from it on is.
    let lo = 0;
    let hi = ordered.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ordered[2 * mid + 1]! < since) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 2 * lo; i < ordered.length; i += 2) out.push(ordered[i]!);
    for (let j = 0; j < late.length; j += 2) if (late[j + 1]! >= since) out.push(late[j]!);
  }

  /** The identity's rows strictly below `from`, newest first. */
  below(siteId: number, vkey: number, from: Position): TailCursor {
    const entry = this.bySite.get(siteId)?.get(vkey);
    if (!entry) return EXHAUSTED;
    const { ordered } = entry;
    // The first pair not below `from`; every pair before it is.
    let lo = 0;
    let hi = ordered.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pairBelow(ordered, mid, from)) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    const late: Position[] = [];
    for (let j = 0; j < entry.late.length; j += 2) {
      const position = { seq: entry.late[j]!, time: entry.late[j + 1]! };
      if (below(position, from)) late.push(position);
    }
    late.sort((a, b) => b.time - a.time || b.seq - a.seq);
    let l = 0;
    const orderedAt = (): Position | undefined => (i >= 0 ? { seq: ordered[2 * i]!, time: ordered[2 * i + 1]! } : undefined);
    const pick = (): 'ordered' | 'late' | null => {
      const a = orderedAt();
      const b = late[l];
      if (!a) return b ? 'late' : null;
      return b && below(a, b) ? 'late' : 'ordered';
    };
    return {
      peek() {
        const which = pick();
        return which === 'ordered' ? orderedAt() : which === 'late' ? late[l] : undefined;
      },
      advance() {
        const which = pick();
        if (which === 'ordered') i -= 1;
        else if (which === 'late') l += 1;
      },
    };
  }

  remove(siteId: number, vkey: number, seq: number): void {
    const site = this.bySite.get(siteId);
    const entry = site?.get(vkey);
    if (!site || !entry) return;
    const without = (pairs: number[]) => {
      const left: number[] = [];
      for (let i = 0; i < pairs.length; i += 2) if (pairs[i] !== seq) left.push(pairs[i]!, pairs[i + 1]!);
      return left;
    };
    const before = entry.ordered.length + entry.late.length;
    entry.ordered = without(entry.ordered);
    entry.late = without(entry.late);
    this.count -= (before - entry.ordered.length - entry.late.length) / 2;
    if (entry.ordered.length + entry.late.length === 0) site.delete(vkey);
  }
}

/** Merges an entry's late rows into its ordered ones: O(rows), once every LATE_MAX late rows. */
function fold(entry: Entry): void {
  const late: Position[] = [];
  for (let j = 0; j < entry.late.length; j += 2) late.push({ seq: entry.late[j]!, time: entry.late[j + 1]! });
  late.sort((a, b) => a.time - b.time || a.seq - b.seq);
  const { ordered } = entry;
  const out: number[] = [];
  let i = 0;
  for (const position of late) {
    while (2 * i < ordered.length && pairBelow(ordered, i, position)) {
      out.push(ordered[2 * i]!, ordered[2 * i + 1]!);
      i += 1;
    }
    out.push(position.seq, position.time);
  }
  for (let j = 2 * i; j < ordered.length; j++) out.push(ordered[j]!);
  entry.ordered = out;
  entry.late = [];
}
