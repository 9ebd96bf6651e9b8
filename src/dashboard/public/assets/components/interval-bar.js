/**
 * An interval drawn to a scale shared by every row of a table, with 0 marked: green when the whole
 * interval is above 0, red when it is below, grey when it holds 0. Plain SVG attributes (no inline
 * style), so the page's CSP holds.
 */
import { html } from '../lib/html.js';
import { isNumber, fmt } from '../lib/format.js';

const WIDTH = 130;
const HEIGHT = 20;
const PAD = 6;

/** The scale for a set of intervals: always includes 0, a little margin on each side. */
export function intervalScale(intervals) {
  let lo = 0;
  let hi = 0;
  for (const iv of intervals) {
    if (!iv || !isNumber(iv.lower) || !isNumber(iv.upper)) continue;
    lo = Math.min(lo, iv.lower);
    hi = Math.max(hi, iv.upper);
  }
  if (lo === hi) {
    lo -= 0.01;
    hi += 0.01;
  }
  const span = hi - lo;
  return { lo: lo - span * 0.05, hi: hi + span * 0.05 };
}

export function verdictOf(iv) {
  if (!iv || !isNumber(iv.lower) || !isNumber(iv.upper)) return 'none';
  if (iv.lower > 0) return 'up';
  if (iv.upper < 0) return 'down';
  return 'flat';
}

const VERDICT_TEXT = { up: 'entirely above 0: an improvement', down: 'entirely below 0: a loss', flat: 'includes 0: no clear difference' };

export function IntervalBar({ interval, estimate, scale, format = fmt.signedPct }) {
  if (!interval || !isNumber(interval.lower) || !isNumber(interval.upper)) return '';
  const x = (v) => PAD + ((Math.min(Math.max(v, scale.lo), scale.hi) - scale.lo) / (scale.hi - scale.lo)) * (WIDTH - 2 * PAD);
  const verdict = verdictOf(interval);
  const label = `Interval ${fmt.interval(interval, format)}, ${VERDICT_TEXT[verdict]}`;
  return html`<svg class="interval-bar ${verdict}" width=${WIDTH} height=${HEIGHT} viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label=${label}>
    <title>${label}</title>
    <line class="axis" x1=${PAD} x2=${WIDTH - PAD} y1=${HEIGHT / 2} y2=${HEIGHT / 2} />
    <line class="zero" x1=${x(0)} x2=${x(0)} y1="2" y2=${HEIGHT - 2} />
    <rect class="range" x=${x(interval.lower)} y="6" width=${Math.max(2, x(interval.upper) - x(interval.lower))} height=${HEIGHT - 12} rx="2" />
    ${isNumber(estimate) ? html`<line class="estimate" x1=${x(estimate)} x2=${x(estimate)} y1="4" y2=${HEIGHT - 4} />` : ''}
  </svg>`;
}
