/**
 * The keys of a run of log rows in columns of typed arrays: (site, identity hash, nonce hash, seq,
 * time) per row, ~37 bytes a row and no object per key (a Map of exact key strings and an object
 * per key took ~350 bytes a key, measured), plus an open-addressing table of row numbers that finds
 * a row by its three hashes. Two events may share the three numbers (a hash collision), so a
 * lookup hands every matching seq to the caller, which confirms it against the log row; each row
 * is kept, none overwrites another. A forgotten row stays in its slot, marked dead.
 */

const EMPTY = -1;
/** Grow the table when this share of its slots is used. */
const MAX_LOAD = 0.7;

export class KeyRows {
  private sites: Int32Array;
  private vkeys: Float64Array;
  private nkeys: Float64Array;
  private seqs: Float64Array;
  private times: Float64Array;
  private live: Uint8Array;
  private rows = 0;
  private slots: Int32Array;
  private mask: number;

  constructor(capacity = 1024) {
    const rows = Math.max(16, capacity);
    this.sites = new Int32Array(rows);
    this.vkeys = new Float64Array(rows);
    this.nkeys = new Float64Array(rows);
    this.seqs = new Float64Array(rows);
    this.times = new Float64Array(rows);
    this.live = new Uint8Array(rows);
    let slots = 16;
    while (slots * MAX_LOAD < rows) slots *= 2;
    this.slots = new Int32Array(slots).fill(EMPTY);
    this.mask = slots - 1;
  }

  /** Rows held, dead ones included: row numbers run from 0 to length - 1. */
  get length(): number {
    return this.rows;
  }

  /** Appends a row; answers its row number. */
  add(siteId: number, vkey: number, nkey: number, seq: number, time: number): number {
    if (this.rows === this.seqs.length) this.growRows();
    if (this.rows + 1 > this.slots.length * MAX_LOAD) this.growSlots();
    const r = this.rows++;
    this.sites[r] = siteId;
    this.vkeys[r] = vkey;
    this.nkeys[r] = nkey;
    this.seqs[r] = seq;
    this.times[r] = time;
    this.live[r] = 1;
    this.place(r);
    return r;
  }

  /** Whether `confirm` accepts the seq of one live row holding these hashes. */
  some(siteId: number, vkey: number, nkey: number, confirm: (seq: number) => boolean): boolean {
    for (let slot = this.slotOf(siteId, vkey, nkey); this.slots[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      const r = this.slots[slot]!;
      if (this.live[r] === 1 && this.nkeys[r] === nkey && this.vkeys[r] === vkey && this.sites[r] === siteId && confirm(this.seqs[r]!)) return true;
    }
    return false;
  }

  /** The live row holding these hashes and seq, or -1. */
  rowOf(siteId: number, vkey: number, nkey: number, seq: number): number {
    for (let slot = this.slotOf(siteId, vkey, nkey); this.slots[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      const r = this.slots[slot]!;
      if (this.live[r] === 1 && this.seqs[r] === seq && this.nkeys[r] === nkey && this.vkeys[r] === vkey && this.sites[r] === siteId) return r;
    }
    return -1;
  }

  kill(r: number): void {
    this.live[r] = 0;
  }

  isLive(r: number): boolean {
    return this.live[r] === 1;
  }

  siteAt(r: number): number {
    return this.sites[r]!;
  }

  vkeyAt(r: number): number {
    return this.vkeys[r]!;
  }

  nkeyAt(r: number): number {
    return this.nkeys[r]!;
  }

  seqAt(r: number): number {
    return this.seqs[r]!;
  }

  timeAt(r: number): number {
    return this.times[r]!;
  }

  /** Index order of two rows: (site, identity hash, nonce hash, seq). */
  compare(a: number, b: number): number {
    return this.sites[a]! - this.sites[b]! || this.vkeys[a]! - this.vkeys[b]! || this.nkeys[a]! - this.nkeys[b]! || this.seqs[a]! - this.seqs[b]!;
  }

  private slotOf(siteId: number, vkey: number, nkey: number): number {
    // Both hashes are well mixed: their low 32 bits, xored, spread rows evenly.
    return ((nkey >>> 0) ^ (vkey >>> 0) ^ Math.imul(siteId, 0x9e3779b1)) & this.mask;
  }

  private place(r: number): void {
    let slot = this.slotOf(this.sites[r]!, this.vkeys[r]!, this.nkeys[r]!);
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = r;
  }

  private growRows(): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    this.sites = grow(this.sites, (n) => new Int32Array(n));
    this.vkeys = grow(this.vkeys, (n) => new Float64Array(n));
    this.nkeys = grow(this.nkeys, (n) => new Float64Array(n));
    this.seqs = grow(this.seqs, (n) => new Float64Array(n));
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.live = grow(this.live, (n) => new Uint8Array(n));
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    this.mask = this.slots.length - 1;
    for (let r = 0; r < this.rows; r++) this.place(r);
  }
}
