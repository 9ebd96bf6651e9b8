/**
 * Writes the sample of the README: examples/web-visits.ndjson (visitors who saw experiment 4001 on
 * the web shop, each linked to a customer id) and examples/offline-conversions.csv (the in-store
 * purchases and refunds of those customers, as a European point-of-sale export: ";" separators,
 * decimal commas, local times of the shops in Europe/Paris). The same rows every time (a seeded
 * generator); only the dates move, so that the newest falls yesterday: events older than a site's
 * late-event horizon (30 days by default) are refused.
 *
 *   npx tsx examples/make-sample.ts              # dates ending yesterday
 *   npx tsx examples/make-sample.ts 2026-11-30   # dates ending that day
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';

const end = DateTime.fromISO(process.argv[2] ?? DateTime.utc().minus({ days: 1 }).toISODate()!, { zone: 'Europe/Paris' });
if (!end.isValid) throw new Error(`not a date: ${process.argv[2]}`);

let seed = 4001;
/** mulberry32: a small seeded generator, so the sample is the same rows on every run. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const stores = ['Paris Rivoli', 'Lyon Part-Dieu', 'Nice Masséna', 'Bordeaux Sainte-Catherine', 'Lille Grand Place'];
const visits: string[] = [];
const rows: string[] = ['order_id;customer_id;store;purchased_at;amount;refund'];
let order = 50_000;

for (let i = 1; i <= 800; i++) {
  const visitor = `vis-${String(i).padStart(4, '0')}`;
  const customer = `C${1000 + i}`;
  const variation = i % 2 === 0 ? 2 : 1;
  // The web visit: some day of the week before `end`, during the day.
  const visitAt = end.minus({ days: 1 + Math.floor(random() * 6) }).set({ hour: 9 + Math.floor(random() * 10), minute: Math.floor(random() * 60), second: 0, millisecond: 0 });
  const t = (minutes: number) => visitAt.plus({ minutes }).toUTC().toISO({ suppressMilliseconds: true });
  visits.push(
    JSON.stringify({ visitorCode: visitor, eventType: 'page', href: 'https://shop.example/sofas', title: 'Sofas', time: t(0) }),
    JSON.stringify({ visitorCode: visitor, eventType: 'experiment', id: 4001, variationId: variation, time: t(0) }),
    // Signing in links the device to the customer id the shops know.
    JSON.stringify({ visitorCode: visitor, eventType: 'customData', index: 1, valuesCountMap: { [customer]: 1 }, mappingIdentifier: true, time: t(2) }),
  );
  // The new page (variation 2) sends more visitors to a shop: 36% against 24%.
  if (random() < (variation === 2 ? 0.36 : 0.24)) {
    const days = Math.floor(random() * 3);
    const boughtAt = DateTime.min(end.set({ hour: 19 }), visitAt.plus({ days }).set({ hour: 10 + Math.floor(random() * 9), minute: Math.floor(random() * 60) }));
    const at = boughtAt < visitAt ? visitAt.plus({ hours: 1 }) : boughtAt;
    const amount = (49 + Math.floor(random() * 900) + Math.floor(random() * 100) / 100).toFixed(2).replace('.', ',');
    const id = `POS-${order++}`;
    const store = pick(stores);
    rows.push(`${id};${customer};${store};${at.toFormat('yyyy-MM-dd HH:mm')};${amount};no`);
    // One purchase in eight is brought back the next day.
    if (random() < 0.125) rows.push(`${id};${customer};${store};${DateTime.min(end.set({ hour: 20 }), at.plus({ days: 1 })).toFormat('yyyy-MM-dd HH:mm')};${amount};yes`);
  }
}

const dir = path.dirname(new URL(import.meta.url).pathname);
fs.writeFileSync(path.join(dir, 'web-visits.ndjson'), `${visits.join('\n')}\n`);
fs.writeFileSync(path.join(dir, 'offline-conversions.csv'), `${rows.join('\r\n')}\r\n`);
console.log(`examples/web-visits.ndjson: ${visits.length} events; examples/offline-conversions.csv: ${rows.length - 1} rows, the last on ${end.toISODate()}`);
