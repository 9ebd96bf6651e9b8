import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from './helpers/cli-in-process.ts';
import { runAnole, startAnole } from './helpers/run-anole.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

/**
 * anole visitor, results, keys and serve against a real server: the CLI's entry point in this
 * process, and the real command where the process is the subject (exit status, serve's signals).
 */
describe('the anole command line', { timeout: 180_000 }, () => {
  let server: TestServer;
  const temp = makeTempDir();
  const env = () => ({ ANOLE_URL: server.url, ANOLE_STATE_DIR: path.join(temp.dir, 'state') });
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();

  beforeAll(async () => {
    server = await startTestServer();
    // Two visitors see experiment 31 (one per variation) and sign in; customer C2 buys in a shop and brings it back.
    const visits = [
      { visitorCode: 'w1', eventType: 'experiment', id: 31, variationId: 1, time: at(5) },
      { visitorCode: 'w1', eventType: 'customData', index: 1, valuesCountMap: { C1: 1 }, mappingIdentifier: true, time: at(5) },
      { visitorCode: 'w2', eventType: 'experiment', id: 31, variationId: 2, time: at(5) },
      { visitorCode: 'w2', eventType: 'customData', index: 1, valuesCountMap: { C2: 1 }, mappingIdentifier: true, time: at(5) },
    ];
    fs.writeFileSync(path.join(temp.dir, 'visits.ndjson'), visits.map((v) => JSON.stringify(v)).join('\n'));
    fs.writeFileSync(path.join(temp.dir, 'sales.csv'), `order;customer;amount;refund;sold_at\nA1;C2;120,00;no;${at(3)}\nA1;C2;120,00;yes;${at(2)}\nA2;C2;80,00;no;${at(1)}\n`);
    for (const args of [
      ['import', path.join(temp.dir, 'visits.ndjson'), '--site', 'cli'],
      ['import', path.join(temp.dir, 'sales.csv'), '--site', 'cli', '--goal', '9', '--id-column', 'order', '--decimal', ',', '--map', 'customer=mappingValue'],
    ]) {
      const run = await runCliInProcess(args, env());
      expect(run.code, run.stderr).toBe(0);
    }
    await server.settle();
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it('anole visitor shows the timeline: visits newest first, device, conversions with refunds marked, local times with their offset', async () => {
    const run = await runCliInProcess(['visitor', '--site', 'cli', '--mapping', 'C2', '--timezone', 'Asia/Kolkata'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^User C2 on site cli: \d visits?, newest first/);
    expect(run.stdout).toMatch(/device w2/);
    expect(run.stdout).toMatch(/\+05:30 {2}conversion {2}goal 9, revenue 120\.00 {2}REFUND/);
    expect(run.stdout).toMatch(/experiment {2}31, variation 2/);
    expect(run.stdout.indexOf('revenue 80.00')).toBeLessThan(run.stdout.indexOf('REFUND'));

    const json = await runCliInProcess(['visitor', '--site', 'cli', '--visitor', 'w2', '--json'], env());
    const direct = await (await fetch(`${server.url}/visit/visitor?siteCode=cli&visitorCode=w2&maxNumberPreviousVisits=25&currentVisit=true&all=true`)).json();
    expect(JSON.parse(json.stdout)).toEqual(direct);
    const nobody = await runCliInProcess(['visitor', '--site', 'cli', '--visitor', 'nobody'], env());
    expect(nobody.stdout).toBe('No visits for Visitor nobody on site cli.\n');
    expect((await runCliInProcess(['visitor', '--site', 'cli'], env())).code).toBe(2);
  });

  it('anole results prints a table per goal with the warnings in words; --json the answer; no key is exit 3', async () => {
    const run = await runCliInProcess(['results', '--site', 'cli', '--experiment', '31', '--key', server.adminKey], env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Experiment 31 "Experiment 31" on cli: visitors, 95% confidence');
    expect(run.stdout).toMatch(/Goal 9 "Goal 9"\nvariation +visitors +converted +rate +improvement \[95% CI\] +reliability +P\(beat ref\) +revenue\/unit/);
    expect(run.stdout).toMatch(/Variation 1 \(reference\) +1 +0 +0\.00% +reference/);
    expect(run.stdout).toMatch(/Variation 2 +1 +1 +100\.00% +–/);
    expect(run.stdout).toMatch(/Traffic split as expected \(SRM p = 1\.000\)/);

    const json = await runCliInProcess(['results', '--site', 'cli', '--experiment', '31', '--goal', '9', '--level', 'visit', '--json'], { ...env(), ANOLE_KEY: server.adminKey });
    expect(JSON.parse(json.stdout)).toMatchObject({ level: 'visit', goals: [{ goalId: 9 }] });
    const unauthorized = await runCliInProcess(['results', '--site', 'cli', '--experiment', '31'], env());
    expect(unauthorized.code).toBe(3);
    expect(unauthorized.stderr).toMatch(/refused the key \(401 unauthorized/);
    const missing = await runCliInProcess(['results', '--site', 'cli', '--experiment', '999', '--key', server.adminKey], env());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/404 not_found/);
    expect((await runCliInProcess(['results', '--site', 'cli', '--experiment', '31', '--confidence', '2'], env())).code).toBe(2);
  });

  it('anole keys creates (shown once), lists and revokes keys; the new site key imports', async () => {
    const withKey = { ...env(), ANOLE_KEY: server.adminKey };
    const created = await runCliInProcess(['keys', 'create', '--role', 'site', '--site', 'cli', '--label', 'till back-end'], withKey);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^\S{20,}$/);
    expect(created.stderr).toMatch(/shown once/);
    const csv = path.join(temp.dir, 'keyed.csv');
    fs.writeFileSync(csv, 'visitorCode,goalId\nk1,9\n');
    const response = await fetch(`${server.url}/api/sites/cli/imports`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: fs.readFileSync(csv) });
    expect(response.status).toBe(200);

    const list = await runCliInProcess(['keys', 'list'], withKey);
    const line = list.stdout.split('\n').find((l) => l.includes('till back-end'))!;
    const id = line.trim().split(/\s+/)[0]!;
    expect(line).toMatch(/site +cli +till back-end/);
    expect((await runCliInProcess(['keys', 'revoke', id], withKey)).code).toBe(0);
    const after = JSON.parse((await runCliInProcess(['keys', 'list', '--json'], withKey)).stdout);
    expect(after.keys.find((k: any) => String(k.id) === id).revokedAt).not.toBeNull();
    expect((await runCliInProcess(['keys', 'create', '--role', 'site', '--label', 'x'], withKey)).code).toBe(2);
    expect((await runCliInProcess(['keys', 'list'], env())).code).toBe(3);
  });

  it('every command has --help with examples; unknown commands are usage errors', async () => {
    const commands = [[], ['import'], ['visitor'], ['results'], ['keys'], ['keys', 'create'], ['serve']];
    for (const command of commands) {
      const run = await runCliInProcess([...command, '--help']);
      expect(run.code, command.join(' ')).toBe(0);
      expect(run.stdout, command.join(' ')).toContain('Usage: anole');
      if (command.length === 1 || command.length === 0) expect(run.stdout, command.join(' ')).toContain('Examples:');
    }
    // The real command: its exit status is the process's.
    const unknown = await runAnole(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('anole serve runs the server until SIGTERM', async () => {
    const dataDir = path.join(temp.dir, 'serve-data');
    const serve = startAnole(['serve'], { ANOLE_DATA_DIR: dataDir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'warn' });
    // The server notes its address beside the store it holds (the lock's holder note).
    const holder = path.join(dataDir, 'anole.db.holder');
    let url: string | null = null;
    for (let i = 0; i < 400 && url === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (fs.existsSync(holder)) url = /a server on (http:\/\/\S+),/.exec(fs.readFileSync(holder, 'utf8'))?.[1] ?? null;
    }
    expect(url).not.toBeNull();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    const done = await serve.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('anole listening on');
  });
});
