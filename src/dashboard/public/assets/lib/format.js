/**
 * Numbers as a reader expects them: thousands separators, percentages, revenue with two decimals,
 * intervals as [low, high]. A figure the API could not compute arrives as {value: null, reason}; it
 * is shown as "—" with the reason, never as 0 or NaN.
 */
import { NULL_REASONS } from '../generated/registry.js';

const LOCALE = 'en-US';
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const isNumber = (x) => typeof x === 'number' && Number.isFinite(x);

export function reasonText(reason) {
  return NULL_REASONS[reason] ?? reason ?? 'not available';
}

export const fmt = {
  int: (x) => (isNumber(x) ? integer.format(x) : '—'),
  money: (x) => (isNumber(x) ? money.format(x) : '—'),
  decimal: (x) => (isNumber(x) ? decimal.format(x) : '—'),
  /** 0.0523 → "5.23%". */
  pct: (x, digits = 2) => (isNumber(x) ? `${(x * 100).toFixed(digits)}%` : '—'),
  /** A change: +12.3% / −4.0% (a true minus sign). */
  signedPct: (x, digits = 1) => (isNumber(x) ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(digits)}%` : '—'),
  signedMoney: (x) => (isNumber(x) ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${money.format(Math.abs(x))}` : '—'),
  /** p-values: four decimals, tiny ones as "< 0.0001". */
  p: (x) => (isNumber(x) ? (x < 0.0001 ? '< 0.0001' : x.toFixed(4)) : '—'),
  /** "[−1.2%, +3.4%]". */
  interval: (iv, as = fmt.signedPct) => (iv && isNumber(iv.lower) && isNumber(iv.upper) ? `[${as(iv.lower)}, ${as(iv.upper)}]` : '—'),
};

const dateTime = new Intl.DateTimeFormat(LOCALE, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC' });
const dateOnly = new Intl.DateTimeFormat(LOCALE, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Times are shown in UTC, the time zone results use for their days. */
export function formatTime(ms) {
  return isNumber(ms) ? `${dateTime.format(new Date(ms))} UTC` : '—';
}

export function formatDay(isoDay) {
  return isoDay ? dateOnly.format(new Date(`${isoDay}T00:00:00Z`)) : '—';
}

export function formatDuration(ms) {
  if (!isNumber(ms)) return '—';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = ms / 3_600_000;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${integer.format(Math.round(hours / 24))} days`;
}

/** "3 min ago" style, for freshness. */
export function ago(ms, now = Date.now()) {
  if (!isNumber(ms)) return '—';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${integer.format(Math.floor(s / 86_400))} days ago`;
}
