/** Bits set per key: with a filter of 8 bits a key or more, about 2% false positives at most. */
const PROBES = 4;

export interface KeyFilter {
  /** Keys it holds at about 2% false positives (one per 8 bits): more, and it mostly answers "maybe". */
  readonly capacity: number;
  /** Records a key (site, identity hash, nonce hash). */
  add(siteId: number, vkey: number, nkey: number): void;
  /** False only if the key was never added; true for every key added and for a few others. */
  mayHave(siteId: number, vkey: number, nkey: number): boolean;
}

/**
 * A Bloom filter of fixed size over de-duplication keys. The event log adds every key it sees
 * appended (its own commits and other handles' rows as it catches up on them) and, in steps
 * between commits after it opens, the keys already in the on-disk index. So for an identity whose
 * indexed keys are all in the filter, "not in the filter" proves that a new event's key is not in
 * the index, and the index probe (the writer's largest cost per event of an import,
 * docs/performance-import.md) is skipped. Keys are never removed: a forgotten key only costs a
 * probe. The size is fixed, so memory does not grow with the store; as the keys added outnumber
 * the bits, false positives rise and the writer falls back to probing, never to a wrong answer.
 */
export function keyFilter(megabytes: number): KeyFilter {
  // A power of two bits, so that an index is a mask of the hash.
  const words = Math.max(1024, 2 ** Math.floor(Math.log2((megabytes * 1_048_576) / 4)));
  const bits = new Uint32Array(words);
  const mask = words * 32 - 1;
  // Double hashing (Kirsch–Mitzenmacher) of the key's 53-bit hashes: the low 32 bits of each and
  // the high 21 of the identity hash, mixed with the site. h2 is odd, so the probes differ.
  let h1 = 0;
  let h2 = 0;
  const hash = (siteId: number, vkey: number, nkey: number) => {
    const a = Math.imul((vkey >>> 0) ^ Math.imul(siteId, 0x9e3779b1), 0x85ebca6b) ^ ((vkey / 4294967296) >>> 0);
    const b = Math.imul(nkey >>> 0, 0xc2b2ae35) ^ ((nkey / 4294967296) >>> 0);
    h1 = Math.imul(a ^ (b >>> 15), 0x27d4eb2f) ^ (a >>> 13);
    h2 = (Math.imul(b ^ (a >>> 16), 0x165667b1) ^ (b >>> 11)) | 1;
  };
  return {
    capacity: (mask + 1) / 8,
    add(siteId, vkey, nkey) {
      hash(siteId, vkey, nkey);
      for (let i = 0; i < PROBES; i++) {
        const bit = (h1 + Math.imul(i, h2)) & mask;
        bits[bit >>> 5] = bits[bit >>> 5]! | (1 << (bit & 31));
      }
    },
    mayHave(siteId, vkey, nkey) {
      hash(siteId, vkey, nkey);
      for (let i = 0; i < PROBES; i++) {
        const bit = (h1 + Math.imul(i, h2)) & mask;
        if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
      }
      return true;
    },
  };
}
