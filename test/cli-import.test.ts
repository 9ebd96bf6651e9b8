import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../src/storage/postgres/postgres-storage.ts';
import { runCliInProcess } from './helpers/cli-in-process.ts';
import { createTestDatabase, testPostgres } from './helpers/postgres-database.ts';
import { runAnole, startAnole } from './helpers/run-anole.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

/**
 * `anole import` as a user runs it: real files, a real server on loopback or a real store. The
 * real command (a process of its own) where the process is the subject: signals, a terminal, the
 * exit status; the CLI's entry point in this process elsewhere (runCliInProcess).
 */
const temp = makeTempDir();
afterAll(() => temp.remove());
const file = (name: string, text: string) => {
  const p = path.join(temp.dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const stateDir = path.join(temp.dir, 'state');
const env = { ANOLE_STATE_DIR: stateDir, ANOLE_URL: 'http://127.0.0.1:1' };

/** Events the server holds, from its metrics. */
async function storedEvents(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.adminKey}` } })).text();
  return Number(/^anole_store_events (\d+)/m.exec(text)![1]);
}

function bigCsv(name: string, rows: number): string {
  const lines = ['visitor_code,goal,revenue,time,order_id'];
  const time = hoursAgo(2);
  for (let i = 0; i < rows; i++) lines.push(`v${i % 997},7,${i % 50}.5,${time},order-${i}`);
  return file(name, `${lines.join('\n')}\n`);
}

describe('anole import against a running server', { timeout: 180_000 }, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('imports, answers a JSON summary, writes rejected rows, and exits 1 when some are rejected', async () => {
    const csv = file('shop.csv', `visitor_code;goal;amount;time;order_id\r\nv1;36151;23,50;${hoursAgo(3)};o1\r\nv2;36151;abc;${hoursAgo(3)};o2\r\nv3;36151;9;2001-01-01T00:00:00Z;o3\r\n`);
    const errors = path.join(temp.dir, 'rejected.csv');
    const run = await runCliInProcess(['import', csv, '--site', 'remote1', '--url', server.url, '--decimal', ',', '--id-column', 'order_id', '--errors', errors, '--json'], env);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 3, accepted: 1, duplicate: 0, rejected: 2, rejectedByCode: { invalid_field: 1, time_out_of_range: 1 }, seconds: expect.any(Number) });
    const lines = fs.readFileSync(errors, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('error_row,error_column,error_code,error_message,visitor_code,goal,amount,time,order_id');
    expect(lines[1]).toMatch(/^3,amount,invalid_field,"revenue ""abc"" is not a number",v2,36151,abc,/);
    // The horizon is the server's to judge; the message says how to raise it.
    expect(lines[2]).toMatch(/^4,time,time_out_of_range,.*lateEventHorizonMs/);

    // The same file again: nothing new, and the exit code still tells of the rejected rows.
    const again = await runCliInProcess(['import', csv, '--site', 'remote1', '--url', server.url, '--decimal', ',', '--id-column', 'order_id', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, duplicate: 1, rejected: 2 });
    const visitor = await (await fetch(`${server.url}/visit/visitor?siteCode=remote1&visitorCode=v1&maxNumberPreviousVisits=5&currentVisit=true&conversion=true`)).json();
    expect(JSON.stringify(visitor)).toContain('"revenue":23.5');
  });

  it('maps every row the server rejects back to its row, past the 1,000 reasons one answer lists', async () => {
    // Rows only the server can refuse (its site's horizon), 1,500 of them in one batch of 2,000.
    const lines = ['visitor_code,goal,revenue,time,order_id'];
    for (let i = 0; i < 2000; i++) lines.push(`w${i},7,1,${i % 4 === 0 ? hoursAgo(1) : '2001-01-01T00:00:00Z'},order-${i}`);
    const csv = file('old.csv', `${lines.join('\n')}\n`);
    const errors = path.join(temp.dir, 'old-rejected.csv');
    const run = await runCliInProcess(['import', csv, '--site', 'remote-old', '--url', server.url, '--id-column', 'order_id', '--batch-size', '2000', '--errors', errors, '--json'], env);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2000, accepted: 500, duplicate: 0, rejected: 1500, rejectedByCode: { time_out_of_range: 1500 } });
    const rejected = fs.readFileSync(errors, 'utf8').trim().split('\r\n').slice(1);
    expect(rejected).toHaveLength(1500);
    const expectedRows = Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 4 !== 0).map((i) => i + 2);
    expect(rejected.map((line) => Number(line.split(',')[0]))).toEqual(expectedRows);
    // The last ones too carry the server's own reason, not a placeholder.
    for (const line of [rejected[0]!, rejected[1499]!]) expect(line).toMatch(/^\d+,time,time_out_of_range,.*horizon.*lateEventHorizonMs/);
    const again = await runCliInProcess(['import', csv, '--site', 'remote-old', '--url', server.url, '--id-column', 'order_id', '--batch-size', '2000', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, duplicate: 500, rejected: 1500 });
  });

  it('--dry-run stores nothing and gives the same summary; --strict stops before storing anything', async () => {
    const csv = file('dry.csv', `visitorCode,goalId,revenue\nd1,5,1\nd2,5,2\nd1,5,1\n`);
    const before = await storedEvents(server);
    const dry = await runCliInProcess(['import', csv, '--site', 'dry', '--url', server.url, '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ rows: 3, accepted: 2, duplicate: 1, rejected: 0, dryRun: true });
    expect(await storedEvents(server)).toBe(before);

    const bad = file('strict.csv', `visitorCode,goalId,revenue\ns1,5,1\ns2,5,oops\ns3,5,3\n`);
    const strict = await runCliInProcess(['import', bad, '--site', 'strict', '--url', server.url, '--strict'], env);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('nothing was stored');
    expect(await storedEvents(server)).toBe(before);
    const good = await runCliInProcess(['import', csv, '--site', 'strict', '--url', server.url, '--strict', '--json'], env);
    expect(JSON.parse(good.stdout)).toMatchObject({ accepted: 2, duplicate: 1 });
    expect(await storedEvents(server)).toBe(before + 2);
  });

  it('stops on Ctrl-C after the batches in flight, then resumes; every row is stored exactly once', async () => {
    const rows = 60_000;
    const csv = bigCsv('sigint.csv', rows);
    const before = await storedEvents(server);
    const args = ['import', csv, '--site', 'sigint', '--url', server.url, '--id-column', 'order_id', '--batch-size', '500', '--json'];
    const first = startAnole(args, env);
    // Interrupt once the first checkpoint is written (some batches are acknowledged).
    const checkpoints = path.join(stateDir, 'imports');
    while (!(fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).some((f) => f.endsWith('.json')))) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toMatch(/interrupted after row (\d+); every row up to it is done/);
    const partial = JSON.parse(stopped.stdout);
    expect(partial.interrupted).toBe(true);
    expect(partial.rows).toBeLessThan(rows);

    const resumed = await runAnole(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after row \d+/);
    const rest = JSON.parse(resumed.stdout);
    expect(partial.accepted + rest.accepted).toBe(rows);
    expect(await storedEvents(server)).toBe(before + rows);
    // And once more from the start: every row is a duplicate.
    const replay = await runAnole([...args, '--no-resume'], env);
    expect(JSON.parse(replay.stdout)).toMatchObject({ rows, accepted: 0, duplicate: rows });
  }, 120_000);

  it('exits 3 when the server cannot be reached (the real command), and answers 2 on usage errors', async () => {
    const csv = file('unreachable.csv', 'visitorCode,goalId\nu1,1\n');
    const unreachable = await runAnole(['import', csv, '--site', 'x', '--url', 'http://127.0.0.1:1', '--retries', '2'], env);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/cannot be reached.*gave up after 2 attempts/);
    const usage = [
      ['import', csv, '--site', 'x', '--goal', 'abc'],
      ['import', csv],
      ['import', path.join(temp.dir, 'missing.csv'), '--site', 'x'],
      ['import', csv, '--site', 'x', '--bogus'],
      ['import', csv, '--site', 'x', '--timezone', 'Mars/Base'],
      ['import', file('noext.data', 'x'), '--site', 'x'],
    ];
    for (const args of usage) {
      const run = await runCliInProcess(args, env);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).not.toBe('');
      expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});

describe('anole import in process (--data-dir)', () => {
  it('imports into a store no server holds, and refuses one a running server holds', async () => {
    const dataDir = path.join(temp.dir, 'store');
    fs.mkdirSync(dataDir);
    const csv = file('local.csv', `user_id,goal,revenue,refund,time\nu-1,9,10,no,${hoursAgo(1)}\nu-1,9,10,yes,${hoursAgo(1)}\n`);
    const run = await runCliInProcess(['import', csv, '--site', 'local', '--data-dir', dataDir, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2, accepted: 2 });

    const server = await startTestServer({ ANOLE_DATA_DIR: dataDir });
    try {
      const refused = await runCliInProcess(['import', csv, '--site', 'local', '--data-dir', dataDir], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/in use by another process \(a server on http:\/\/127\.0\.0\.1:\d+, pid \d+\).*--url/s);
      const visitor = await (await fetch(`${server.url}/visit/visitor?siteCode=local&mappingValue=u-1&maxNumberPreviousVisits=5&currentVisit=true&conversion=true`)).json();
      expect(JSON.stringify(visitor)).toContain('"negative":true');
    } finally {
      await server.stop();
    }
  });

  it('survives SIGKILL mid-import: the re-run resumes and every row is stored exactly once', async () => {
    const dataDir = path.join(temp.dir, 'killed');
    fs.mkdirSync(dataDir);
    const rows = 120_000;
    const csv = bigCsv('sigkill.csv', rows);
    const args = ['import', csv, '--site', 'killed', '--data-dir', dataDir, '--id-column', 'order_id', '--json', '--quiet'];
    const first = startAnole(args, env);
    const checkpoints = path.join(stateDir, 'imports');
    const seen = new Set(fs.existsSync(checkpoints) ? fs.readdirSync(checkpoints) : []);
    while (!(fs.existsSync(checkpoints) && fs.readdirSync(checkpoints).some((f) => f.endsWith('.json') && !seen.has(f)))) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const resumed = await runAnole(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after row \d+/);
    const replay = await runAnole([...args, '--no-resume'], env);
    expect(JSON.parse(replay.stdout)).toMatchObject({ rows, accepted: 0, duplicate: rows });
    const server = await startTestServer({ ANOLE_DATA_DIR: dataDir });
    try {
      // Each row once: the killed run's acknowledged rows, and the re-run's.
      expect(await storedEvents(server)).toBe(rows);
    } finally {
      await server.stop();
    }
  }, 180_000);
});

const pg = testPostgres();

describe.skipIf(pg.skip !== null)(`anole import in process into PostgreSQL (DATABASE_URL)${pg.skip ? ` (skipped: ${pg.skip})` : ''}`, () => {
  it('imports through the same write path, and a re-import stores nothing twice', async () => {
    const database = await createTestDatabase(pg.adminUrl!);
    try {
      const rows = 5_000;
      const csv = bigCsv('postgres.csv', rows);
      const args = ['import', csv, '--site', 'pgimport', '--id-column', 'order_id', '--json', '--quiet'];
      const run = await runCliInProcess(args, { ...env, DATABASE_URL: database.url });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ rows, accepted: rows, duplicate: 0, rejected: 0 });
      // --database-url names the store as well; the same rows again are all duplicates.
      const again = await runCliInProcess([...args, '--database-url', database.url, '--no-resume'], env);
      expect(JSON.parse(again.stdout)).toMatchObject({ rows, accepted: 0, duplicate: rows });

      const storage = await openPostgresStorage({ url: database.url, poolSize: 1 });
      try {
        expect((await storage.stats()).events).toBe(rows);
        const site = await storage.findSite('pgimport');
        const events = await storage.eventsOf(site!.id, [{ kind: 'visitorCode', value: 'v3' }]);
        // v3 is every 997th row from the fourth: order ids order-3, order-1000, …
        expect(events).toHaveLength(Math.ceil((rows - 3) / 997));
        expect(events[0]).toMatchObject({ type: 'conversion', data: expect.objectContaining({ goalId: 7 }) });
      } finally {
        await storage.close();
      }
    } finally {
      await database.drop();
    }
  }, 120_000);
});

describe('anole import output', { timeout: 180_000 }, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('draws a progress bar under a terminal (script gives it a pseudo-terminal)', async () => {
    const csv = bigCsv('tty.csv', 20_000);
    const command = ['node', ['bin/anole.js', 'import', csv, '--site', 'tty', '--url', server.url, '--id-column', 'order_id'].map((a) => `'${a}'`).join(' ')].join(' ');
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: path.join(import.meta.dirname, '..'), env: { ...process.env, ...env, COLUMNS: '160' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/tty\.csv \[[█░]+\] 100% \| 20000 rows \| \d+ rows\/s \| [\d.]+ MB of [\d.]+ MB \| ETA/);
    expect(run.out).toContain('20000 rows read in');
  });

  it('prints plain lines without a terminal', async () => {
    const csv = bigCsv('plain.csv', 2_000);
    const run = await runAnole(['import', csv, '--site', 'plain', '--url', server.url, '--id-column', 'order_id'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/plain\.csv: 2000 rows \(100% of [\d.]+ MB\), \d+ rows\/s, 2000 accepted, 0 duplicate, 0 rejected/);
    expect(run.stderr).not.toContain(String.fromCharCode(27));
    expect(run.stdout).toMatch(/^2000 rows read in [\d.]+ s: 2000 accepted, 0 duplicate, 0 rejected$/m);
  });
});
