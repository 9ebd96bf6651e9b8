/**
 * Traffic of the results benchmark: persons exposed to one experiment, told as line-format events.
 * Each person's plan is drawn from a generator seeded by the person's number, so the benchmark can
 * later pick persons of a known kind (probes); only nonces and receive times vary between runs.
 *
 * - live persons (88%): events at the server's receive time, one visit: a staticData, page views,
 *   the exposure, conversions of goals 1–3 (purchases with revenue, a few refunds), sometimes a
 *   second exposure (rarely to another variation: a health warning);
 * - backdated persons (10%): a whole history sent with `time` 1–24 days back: an exposure, an
 *   offline purchase 3 days later (counted), one 9 days later (after the window), refunds, a
 *   conversion before the exposure (the CUPED covariate), sometimes an outlier visit;
 * - cross-device persons (2%): a phone and a laptop each linked to a user id by a mappingIdentifier
 *   customData event; exposed on the phone, converting on the laptop and by mappingValue (offline).
 */
import { randomNonce, visitorCodeOf } from './event-source.ts';

export const EXPERIMENT_ID = 42;
export const VARIATIONS = [1, 2, 3] as const;
/** 1 add to cart, 2 purchase (revenue), 3 newsletter sign-up (never sent by the background load). */
export const GOALS = [1, 2, 3] as const;
export const PROBE_GOAL = 3;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export type PersonKind = 'live' | 'backdated' | 'crossDevice';

/** A small seeded generator (mulberry32): the same person number always draws the same plan. */
function seeded(seed: number): () => number {
  let a = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + 0x6d2b79f5) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function kindOf(draw: number): PersonKind {
  return draw < 0.88 ? 'live' : draw < 0.98 ? 'backdated' : 'crossDevice';
}

/** The kind of person number `p` (the first draw of its plan). */
export function personKind(p: number): PersonKind {
  return kindOf(seeded(p)());
}

/** The visitor code person `p` is exposed with. */
export const mainCodeOf = (p: number): string => visitorCodeOf(p);
const laptopCodeOf = (p: number): string => visitorCodeOf(p + 2 ** 30);
const userIdOf = (p: number): string => `user-${p}`;

const between = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const money = (r: () => number, lo: number, hi: number) => (lo + r() * (hi - lo)).toFixed(2);

/** A line for one event; `who` is `visitorCode=…` or `mappingValue=…`; `time` only when backdated. */
function line(who: string, body: string, time?: number): string {
  return `nonce=${randomNonce()}&${who}&${body}${time === undefined ? '' : `&time=${Math.round(time)}`}`;
}

const exposure = (variation: number) => `eventType=experiment&id=${EXPERIMENT_ID}&variationId=${variation}`;
const page = (k: number) => `eventType=page&href=https%3A%2F%2Fshop.example.com%2Fp%2F${k}&title=Product%20${k}`;
const staticData = (k: number) => `eventType=staticData&deviceType=${['DESKTOP', 'PHONE', 'TABLET'][k % 3]}&browser=CHROME&os=Windows&visitNumber=1`;
const conversion = (goal: number, revenue = '0', negative = false) =>
  `eventType=conversion&goalId=${goal}&revenue=${revenue}${negative ? '&negative=true' : ''}`;
const mappingLink = (userId: string) =>
  `eventType=customData&index=0&valuesCountMap=${encodeURIComponent(JSON.stringify({ [userId]: 1 }))}&mappingIdentifier=true`;

/**
 * The events of person `p`, in the order the person would send them. `now` anchors backdated
 * times; `background` persons are always live and never convert on the probe goal.
 */
export function personLines(p: number, now: number, options: { background: boolean }): string[] {
  const r = seeded(p);
  const kind: PersonKind = options.background ? (r(), 'live') : kindOf(r());
  const variation = VARIATIONS[Math.floor(r() * VARIATIONS.length)]!;
  // Variations 2 and 3 convert a little better, so comparisons have something to find.
  const purchaseRate = 0.06 * (1 + 0.1 * (variation - 1));
  const k = p % 997;
  const out: string[] = [];

  if (kind === 'live') {
    const who = `visitorCode=${mainCodeOf(p)}`;
    out.push(line(who, staticData(k)), line(who, page(k)), line(who, exposure(variation)));
    for (let i = between(r, 4, 9); i > 0; i--) out.push(line(who, page(k + i)));
    if (r() < 0.3) out.push(line(who, conversion(1)));
    if (r() < purchaseRate) {
      const revenue = money(r, 20, 200);
      out.push(line(who, conversion(2, revenue)));
      if (r() < 0.03) out.push(line(who, conversion(2, revenue, true)));
    }
    if (!options.background && r() < 0.1) out.push(line(who, conversion(3)));
    if (r() < 0.05) out.push(line(who, exposure(variation)));
    if (r() < 0.002) out.push(line(who, exposure(1 + (variation % VARIATIONS.length))));
    return out;
  }

  if (kind === 'backdated') {
    const who = `visitorCode=${mainCodeOf(p)}`;
    const days = between(r, 1, 24);
    const t = now - days * DAY + Math.floor(r() * 6 * HOUR);
    out.push(line(who, staticData(k), t - 2 * MIN), line(who, page(k), t - MIN), line(who, exposure(variation), t));
    const pages = between(r, 3, 8);
    for (let i = 1; i <= pages; i++) out.push(line(who, page(k + i), t + i * MIN));
    if (r() < 0.3) out.push(line(who, conversion(1), t + (pages + 1) * MIN));
    if (r() < purchaseRate) out.push(line(who, conversion(2, money(r, 20, 200)), t + (pages + 2) * MIN));
    if (r() < 0.1) out.push(line(who, conversion(2, money(r, 20, 200)), t - 5 * DAY));
    if (r() < 0.05) out.push(line(who, conversion(3), t - 2 * DAY));
    if (days >= 2 && r() < 0.08) out.push(line(who, conversion(3), t + DAY));
    if (days >= 4 && r() < 0.3) {
      const revenue = money(r, 20, 200);
      out.push(line(who, conversion(2, revenue), t + 3 * DAY));
      if (days >= 5 && r() < 0.1) out.push(line(who, conversion(2, revenue, true), t + 4 * DAY));
    }
    if (days >= 10 && r() < 0.1) out.push(line(who, conversion(2, money(r, 20, 200)), t + 9 * DAY));
    if (days >= 3 && r() < 0.02) {
      // An outlier visit (140 minutes of browsing): left out of results with its conversion.
      for (let i = 0; i <= 10; i++) out.push(line(who, page(k + i), t + 2 * DAY + i * 14 * MIN));
      out.push(line(who, conversion(2, money(r, 20, 200)), t + 2 * DAY + 70 * MIN));
    }
    return out;
  }

  const phone = `visitorCode=${mainCodeOf(p)}`;
  const laptop = `visitorCode=${laptopCodeOf(p)}`;
  const user = userIdOf(p);
  out.push(line(phone, mappingLink(user)), line(phone, staticData(k)), line(phone, page(k)), line(phone, exposure(variation)));
  for (let i = between(r, 2, 4); i > 0; i--) out.push(line(phone, page(k + i)));
  out.push(line(laptop, mappingLink(user)), line(laptop, page(k)), line(laptop, page(k + 1)));
  if (r() < 0.3) out.push(line(laptop, conversion(2, money(r, 20, 200))));
  if (r() < 0.3) out.push(line(`mappingValue=${user}`, conversion(2, money(r, 20, 200))));
  if (r() < 0.2) out.push(line(`mappingValue=${user}`, conversion(1)));
  return out;
}

/**
 * The events of persons `first` … `end − 1`, interleaved as concurrent visitors send them: `active`
 * persons at once, each next event drawn from a random one of them, so one person's events spread
 * over several requests a few seconds apart.
 */
export class TrafficStream {
  private readonly slots: { lines: string[]; next: number }[] = [];
  private nextPerson: number;
  emitted = 0;

  constructor(
    first: number,
    private readonly end: number,
    private readonly options: { active: number; background: boolean; now: () => number },
  ) {
    this.nextPerson = first;
  }

  /** Persons whose plan has been drawn so far. */
  get personsStarted(): number {
    return this.nextPerson;
  }

  private refill(): void {
    while (this.slots.length < this.options.active && this.nextPerson < this.end) {
      this.slots.push({ lines: personLines(this.nextPerson++, this.options.now(), { background: this.options.background }), next: 0 });
    }
  }

  next(): string | null {
    this.refill();
    if (this.slots.length === 0) return null;
    const i = Math.floor(Math.random() * this.slots.length);
    const slot = this.slots[i]!;
    const out = slot.lines[slot.next++]!;
    if (slot.next >= slot.lines.length) {
      this.slots[i] = this.slots[this.slots.length - 1]!;
      this.slots.pop();
    }
    this.emitted += 1;
    return out;
  }

  /** Up to `count` lines as one line-format body, or null when the stream is exhausted. */
  body(count: number): { body: string; events: number } | null {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const l = this.next();
      if (l === null) break;
      lines.push(l);
    }
    return lines.length === 0 ? null : { body: lines.join('\n'), events: lines.length };
  }
}
