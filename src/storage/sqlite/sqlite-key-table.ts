/**
 * The de-duplication keys of the log's unmerged tail: (site, identity hash, nonce hash) → seq in an
 * open-addressing table of typed arrays, 28 bytes a slot and no object per key, where a Map of
 * exact key strings took ~300 bytes a key and a string hash per lookup. Two events may share the
 * three numbers (a hash collision), so a lookup hands every matching seq to the caller, which
 * confirms it against the log row; each match is kept, none overwrites another.
 */

const EMPTY = 0;
/** A removed entry: lookups probe past it, inserts do not reuse it (a run's table is short-lived). */
const REMOVED = -1;
/** Grow when this share of the slots is used (removed ones included). */
const MAX_LOAD = 0.7;

export class KeySeqTable {
  private sites: Int32Array;
  private vkeys: Float64Array;
  private nkeys: Float64Array;
  private seqs: Float64Array;
  private mask: number;
  private used = 0;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots * MAX_LOAD < capacity) slots *= 2;
    this.sites = new Int32Array(slots);
    this.vkeys = new Float64Array(slots);
    this.nkeys = new Float64Array(slots);
    this.seqs = new Float64Array(slots);
    this.mask = slots - 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.seqs.length * 28;
  }

  add(siteId: number, vkey: number, nkey: number, seq: number): void {
    if (this.used + 1 > this.seqs.length * MAX_LOAD) this.grow();
    let slot = this.slotOf(siteId, vkey, nkey);
    while (this.seqs[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.sites[slot] = siteId;
    this.vkeys[slot] = vkey;
    this.nkeys[slot] = nkey;
    this.seqs[slot] = seq;
    this.used += 1;
  }

  /** Whether `confirm` accepts one of the seqs stored under this key. */
  some(siteId: number, vkey: number, nkey: number, confirm: (seq: number) => boolean): boolean {
    for (let slot = this.slotOf(siteId, vkey, nkey); this.seqs[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      const seq = this.seqs[slot]!;
      if (seq !== REMOVED && this.nkeys[slot] === nkey && this.vkeys[slot] === vkey && this.sites[slot] === siteId && confirm(seq)) return true;
    }
    return false;
  }

  has(siteId: number, vkey: number, nkey: number, seq: number): boolean {
    return this.slotHolding(siteId, vkey, nkey, seq) >= 0;
  }

  remove(siteId: number, vkey: number, nkey: number, seq: number): void {
    const slot = this.slotHolding(siteId, vkey, nkey, seq);
    if (slot >= 0) this.seqs[slot] = REMOVED;
  }

  private slotHolding(siteId: number, vkey: number, nkey: number, seq: number): number {
    for (let slot = this.slotOf(siteId, vkey, nkey); this.seqs[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      if (this.seqs[slot] === seq && this.nkeys[slot] === nkey && this.vkeys[slot] === vkey && this.sites[slot] === siteId) return slot;
    }
    return -1;
  }

  private slotOf(siteId: number, vkey: number, nkey: number): number {
    // Both hashes are well mixed: their low 32 bits, xored, spread keys evenly.
    return ((nkey >>> 0) ^ (vkey >>> 0) ^ Math.imul(siteId, 0x9e3779b1)) & this.mask;
  }

  private grow(): void {
    const { sites, vkeys, nkeys, seqs } = this;
    const slots = seqs.length * 2;
    this.sites = new Int32Array(slots);
    this.vkeys = new Float64Array(slots);
    this.nkeys = new Float64Array(slots);
    this.seqs = new Float64Array(slots);
    this.mask = slots - 1;
    this.used = 0;
    for (let i = 0; i < seqs.length; i++) if (seqs[i] !== EMPTY && seqs[i] !== REMOVED) this.add(sites[i]!, vkeys[i]!, nkeys[i]!, seqs[i]!);
  }
}
