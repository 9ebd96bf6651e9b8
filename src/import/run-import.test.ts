import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import { createGroupCommitter } from '../ingest/group-commit.ts';
import { createSiteDirectory } from '../sites/site-directory.ts';
import type { Storage } from '../storage/port.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { importSettings, type ImportOptionsInput } from './import-settings.ts';
import { inProcessSink } from './in-process-sink.ts';
import { runImport, type ImportSink, type RejectedRow } from './run-import.ts';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const settingsOf = (input: Partial<ImportOptionsInput>) => importSettings({ siteCode: 'shop', format: 'csv', gzip: false, ...input }, { option: (n) => n });

describe('the import pipeline on real files into a real SQLite store', () => {
  const temps: { remove: () => void }[] = [];
  const stores: Storage[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    temps.splice(0).forEach((t) => t.remove());
  });

  function store() {
    const temp = makeTempDir();
    temps.push(temp);
    const storage = openSqliteStorage({ file: path.join(temp.dir, 'anole.db'), cacheMb: 8 });
    stores.push(storage);
    const sites = createSiteDirectory(storage, { autoCreate: true, cacheMs: 0 });
    return { storage, deps: { storage, sites, committer: createGroupCommitter(storage, { maxEvents: 20_000, lanes: 1 }) } };
  }

  async function importText(text: string | Buffer, input: Partial<ImportOptionsInput>, deps = store().deps) {
    const rejected: RejectedRow[] = [];
    const summary = await runImport({
      settings: settingsOf(input),
      sink: inProcessSink(deps, { siteCode: 'shop', batchRows: 2, concurrency: 2, now: () => NOW }),
      input: Readable.from([typeof text === 'string' ? Buffer.from(text) : text]),
      onRejected: (r) => void rejected.push(r),
      now: () => NOW,
    });
    return { summary, rejected, deps };
  }

  async function conversionsOf(deps: ReturnType<typeof store>['deps'], visitorCode: string) {
    const site = await deps.sites.resolve('shop');
    return (await deps.storage.eventsOf(site.id, [{ kind: 'visitorCode', value: visitorCode }])).map((e) => ({ time: e.time, ...(e.data as object) }));
  }

  it('reads a European export: BOM, ";", CRLF, quoted separators and line breaks, blank lines, decimal commas, local times', async () => {
    const file =
      '\uFEFFVisitor Code;Goal;Amount;Refund;Date;Order ID;Store\r\n' +
      'v1;36151;23,50;no;2026-06-14 14:30;o1;"Paris; Rivoli"\r\n' +
      '\r\n' +
      'v2;36151;"1.234,50";yes;2026-06-14 15:00;o2;"Lyon\r\nPart-Dieu"\r\n' +
      'v3;36151;7;0;2026-03-29 02:30;o3;Nice\r\n';
    const { summary, rejected, deps } = await importText(file, { decimal: ',', thousands: '.', idColumn: 'Order ID', metadata: 'Store', timezone: 'Europe/Paris' });
    expect(summary).toMatchObject({ rows: 3, accepted: 2, duplicate: 0, rejected: 1, rejectedByCode: { nonexistent_time: 1 }, lastRow: 5 });
    // Row numbers as a spreadsheet shows them: the header is row 1, the blank line is row 3.
    expect(rejected).toEqual([{ row: 5, column: 'Date', code: 'nonexistent_time', message: expect.stringContaining('Europe/Paris'), original: ['v3', '36151', '7', '0', '2026-03-29 02:30', 'o3', 'Nice'] }]);
    expect(await conversionsOf(deps, 'v1')).toEqual([{ time: Date.parse('2026-06-14T12:30:00Z'), goalId: 36151, revenue: 23.5, negative: false, metadata: { Store: 'Paris; Rivoli' } }]);
    expect(await conversionsOf(deps, 'v2')).toEqual([{ time: Date.parse('2026-06-14T13:00:00Z'), goalId: 36151, revenue: 1234.5, negative: true, metadata: { Store: 'Lyon\r\nPart-Dieu' } }]);
  });

  it('stores nothing twice when an overlapping export is imported again (order ids)', async () => {
    const header = 'visitorCode,goalId,revenue,orderId\n';
    const first = await importText(`${header}a,1,10,o1\nb,1,20,o2\nc,1,30,o3\n`, { idColumn: 'orderId' });
    // The next day's export repeats o3 (with its amount corrected) and adds o4.
    const second = await importText(`${header}c,1,31,o3\nd,1,40,o4\n`, { idColumn: 'orderId' }, first.deps);
    expect(first.summary).toMatchObject({ accepted: 3, duplicate: 0 });
    expect(second.summary).toMatchObject({ accepted: 1, duplicate: 1 });
    expect(await conversionsOf(first.deps, 'c')).toHaveLength(1);
    // A refund of the same order is another event.
    const refund = await importText(`${header.trimEnd()},negative\nc,1,31,o3,true\n`, { idColumn: 'orderId' }, first.deps);
    expect(refund.summary).toMatchObject({ accepted: 1 });
  });

  it('without an order id, derives nonces from the row: the same row counts once, a changed one is new', async () => {
    const rows = 'visitorCode,goalId,revenue\na,1,10\na,1,10\na,1,11\n';
    const { summary, deps } = await importText(rows, {});
    expect(summary).toMatchObject({ rows: 3, accepted: 2, duplicate: 1 });
    expect(await conversionsOf(deps, 'a')).toHaveLength(2);
  });

  it('uses a nonce column as given, and the --goal of rows without a goal column', async () => {
    const { summary, deps } = await importText('nonce,user_id,value\nA1B2C3D4E5F60718,u-1,5\nnot-a-nonce,u-2,5\n', { goal: '77' });
    expect(summary).toMatchObject({ accepted: 1, rejected: 1, rejectedByCode: { invalid_nonce: 1 } });
    const site = await deps.sites.resolve('shop');
    const [event] = await deps.storage.eventsOf(site.id, [{ kind: 'mappingValue', value: 'u-1' }]);
    expect(event).toMatchObject({ nonce: 'a1b2c3d4e5f60718', data: { goalId: 77, revenue: 5 } });
  });

  it('gives hostile rows their codes and keeps the others', async () => {
    const file = [
      'visitorCode,mappingValue,goalId,revenue,negative,time,eventType',
      'ok,,1,1,,,',
      ',,1,1,,,',
      'a,u,1,1,,,',
      'b,,1,1,maybe,,',
      'c,,1,-5,false,,',
      'd,,1,1e13,,,',
      'e,,x,1,,,',
      'f,,1,1,,2026-13-01,',
      'g,,1,1,,2020-01-01T00:00:00Z,',
      'h,,1,1,,,teleport',
      'i,,1',
      `${'v'.repeat(300)},,1,1,,,`,
      'j,,1,-2.5,,,',
    ].join('\n');
    const { summary, rejected } = await importText(file, {});
    expect(summary.accepted).toBe(2);
    expect(rejected.map((r) => [r.row, r.code, r.column])).toEqual([
      [3, 'missing_identity', 'visitorCode'],
      [4, 'ambiguous_identity', 'mappingValue'],
      [5, 'invalid_field', 'negative'],
      [6, 'invalid_field', 'revenue'],
      [7, 'invalid_field', 'revenue'],
      [8, 'invalid_field', 'goalId'],
      [9, 'invalid_time', 'time'],
      [10, 'time_out_of_range', 'time'],
      [11, 'unknown_event_type', 'eventType'],
      [12, 'invalid_row', null],
      [13, 'invalid_identity', 'visitorCode'],
    ]);
    expect(rejected.find((r) => r.code === 'time_out_of_range')!.message).toMatch(/PATCH \/api\/sites\/shop \{"lateEventHorizonMs"/);
  });

  it('reads NDJSON and line-format files, gzip-compressed or not, with other event types', async () => {
    const ndjson = '{"visitorCode":"n1","goalId":3,"revenue":4.5,"time":"2026-06-14T10:00:00Z"}\n\n{"visitorCode":"n1","eventType":"experiment","id":4001,"variationId":2}\n[1]\n{bad\n';
    const { summary, rejected, deps } = await importText(gzipSync(ndjson), { format: 'ndjson', gzip: true });
    expect(summary).toMatchObject({ rows: 4, accepted: 2, rejected: 2 });
    expect(rejected.map((r) => [r.row, r.code])).toEqual([[4, 'invalid_row'], [5, 'invalid_row']]);
    const site = await deps.sites.resolve('shop');
    expect((await deps.storage.eventsOf(site.id, [{ kind: 'visitorCode', value: 'n1' }])).map((e) => e.type).sort()).toEqual(['conversion', 'experiment']);
    const lines = await importText('eventType=conversion&goalId=5&visitorCode=l1\neventType=conversion&goalId=5&visitorCode=l1\nnonce=0123456789abcdef&eventType=page&href=x&visitorCode=l1\n', { format: 'lines' });
    expect(lines.summary).toMatchObject({ rows: 3, accepted: 2, duplicate: 1 });
  });

  it('refuses a header it cannot use before reading a row', async () => {
    await expect(importText('a,b\n1,2\n', { goal: '1' })).rejects.toThrow(/no identity column/);
    await expect(importText('visitorCode,revenue\n1,2\n', {})).rejects.toThrow(/no goal/);
    await expect(importText('visitorCode,visitor_code,goalId\n1,2,3\n', {})).rejects.toThrow(/names "visitor_code" twice/);
    await expect(importText('visitorCode,total,amount,goalId\n1,2,3,4\n', {})).rejects.toThrow(/both fill revenue/);
    await expect(importText('visitorCode,goalId\n1,2\n', { idColumn: 'order' })).rejects.toThrow(/no column "order"/);
    await expect(importText('', {})).rejects.toThrow(/empty/);
    await expect(importText('visitorCode,goalId\n', { timezone: 'Nowhere/City' })).rejects.toThrow(/unknown time zone/);
  });

  it('stops at an unclosed quote, keeping what came before it', async () => {
    const { summary, rejected } = await importText('visitorCode,goalId\na,1\n"b,1\nc,1\n', {});
    expect(summary).toMatchObject({ accepted: 1, rejected: 1, unreadable: expect.stringContaining('row 3') });
    expect(rejected[0]).toMatchObject({ row: 3, code: 'invalid_row' });
  });

  it('hands a batch on while the next one fills, even when the whole file is read ahead', async () => {
    // What the sink does after its first await (the store's thread, a socket) must not wait for the
    // next batch to be filled: the two would then go out together and the sink sit idle in between.
    const order: string[] = [];
    const sink: ImportSink = {
      batchRows: 20_000,
      concurrency: 2,
      async send(batch) {
        order.push(`sent ${batch.rows[0]}`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`forwarded ${batch.rows[0]}`);
        return { accepted: batch.events.length, duplicate: 0, rejections: new Map() };
      },
    };
    const text = `visitor_code,goal_id,order_id\n${Array.from({ length: 60_000 }, (_, i) => `v${i},1,o${i}\n`).join('')}`;
    const summary = await runImport({ settings: settingsOf({ idColumn: 'order_id' }), sink, input: Readable.from([Buffer.from(text)]), now: () => NOW });
    expect(summary).toMatchObject({ rows: 60_000, accepted: 60_000 });
    // Row 2 is the first data row, row 20002 the first of the second batch; filling a batch takes
    // well over the reading's slice of the event loop.
    expect(order.indexOf('forwarded 2')).toBeLessThan(order.indexOf('sent 20002'));
  });

  it('streams a generated 1M-row file in bounded memory', async () => {
    const temp = makeTempDir();
    temps.push(temp);
    const file = path.join(temp.dir, 'big.csv');
    const out = fs.createWriteStream(file);
    out.write('visitor_code,goal_id,revenue,time,order_id\n');
    const rowsTotal = 1_000_000;
    for (let i = 0; i < rowsTotal; i++) {
      if (!out.write(`v${i % 50_000},${1 + (i % 3)},${(i % 997) / 10},2026-06-14T10:${String(i % 60).padStart(2, '0')}:00Z,o${i}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    // A sink that only counts, so that the file's reading and the rows' conversion are what is measured.
    let events = 0;
    const sink: ImportSink = { batchRows: 1000, concurrency: 2, send: async (batch) => ({ accepted: (events += batch.events.length, batch.events.length), duplicate: 0, rejections: new Map() }) };
    let peakHeap = 0;
    const summary = await runImport({
      settings: settingsOf({ idColumn: 'order_id' }),
      sink,
      input: fs.createReadStream(file),
      onProgress: () => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)),
    });
    expect(summary).toMatchObject({ rows: rowsTotal, accepted: rowsTotal, rejected: 0 });
    expect(events).toBe(rowsTotal);
    // The file is ~50 MB and its events several times that; the heap holds a few batches.
    expect(peakHeap).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});
