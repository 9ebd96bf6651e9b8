import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const base = (dir: string, env: Record<string, string> = {}) => loadConfig({ ANOLE_DATA_DIR: dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_WORKER: 'false', ...env });
const status = async (url: string, key: string) => (await fetch(`${url}/api/keys`, { headers: { Authorization: `Bearer ${key}` } })).status;

/** Runs the real entry point until it listens (or exits), runs `during` against it, then stops it. */
async function runMain(env: Record<string, string>, during: (url: string) => Promise<void> = async () => undefined): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ANOLE_PORT: '0', ANOLE_WORKER: 'false', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    // One SIGTERM: a second one, while the graceful stop runs, would kill the process outright.
    const timer = setInterval(() => {
      const url = /anole listening on (http:\/\/[0-9.:]+)/.exec(stdout)?.[1];
      if (!url) return;
      clearInterval(timer);
      void during(url).finally(() => child.kill('SIGTERM'));
    }, 50);
    child.on('exit', (c) => {
      clearInterval(timer);
      resolve(c);
    });
  });
  return { stdout, stderr, code };
}

describe('admin keys at start-up', () => {
  it('generates one on a fresh install into an owner-only file, prints only its path, and never regenerates it', async () => {
    const temp = makeTempDir();
    try {
      const run = await runMain({ ANOLE_DATA_DIR: temp.dir });
      expect(run.code).toBe(0);
      const file = path.join(temp.dir, 'admin-key');
      const key = fs.readFileSync(file, 'utf8').trim();
      expect(key).toMatch(/^anole_[A-Za-z0-9_-]{32}$/);
      expect(run.stdout).toContain(file);
      expect(run.stdout + run.stderr).not.toContain(key);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(temp.dir, 'key-secret')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(temp.dir).mode & 0o777).toBe(0o700);
      for (const name of ['anole.db', 'anole.db-wal', 'anole.db-shm']) {
        if (fs.existsSync(path.join(temp.dir, name))) expect(fs.statSync(path.join(temp.dir, name)).mode & 0o777, name).toBe(0o600);
      }
      const database = fs.readFileSync(path.join(temp.dir, 'anole.db'));
      expect(database.includes(Buffer.from(key))).toBe(false);
      expect(database.includes(Buffer.from(crypto.createHash('sha256').update(key).digest('hex')))).toBe(false);

      const server = await startServer(base(temp.dir));
      expect(server.generatedAdminKeyFile).toBeNull();
      expect(await status(server.url, key)).toBe(200);
      await server.stop();
    } finally {
      temp.remove();
    }
  });

  it('replaces the configured key with a new ANOLE_ADMIN_KEY, and refuses to start with a revoked one', async () => {
    const temp = makeTempDir();
    const first = 'first-admin-key-0123456789abcdef';
    const second = 'second-admin-key-0123456789abcdef';
    try {
      let server = await startServer(base(temp.dir, { ANOLE_ADMIN_KEY: first }));
      expect(server.generatedAdminKeyFile).toBeNull();
      expect(await status(server.url, first)).toBe(200);
      await server.stop();

      server = await startServer(base(temp.dir, { ANOLE_ADMIN_KEY: second }));
      expect(await status(server.url, second)).toBe(200);
      const old = await fetch(`${server.url}/api/keys`, { headers: { Authorization: `Bearer ${first}` } });
      expect(old.status).toBe(401);
      expect(((await old.json()) as { message: string }).message).toMatch(/revoked at \d{4}-/);
      await server.stop();

      // A node started with the old value must not bring it back, and says so in one line (exit 2).
      const stale = await runMain({ ANOLE_DATA_DIR: temp.dir, ANOLE_ADMIN_KEY: first });
      expect(stale.code).toBe(2);
      expect(stale.stdout + stale.stderr).toContain('ANOLE_ADMIN_KEY holds a key that was revoked');
      expect(stale.stderr + stale.stdout).not.toContain(first);
    } finally {
      temp.remove();
    }
  });

  it('re-hashes keys stored unkeyed by earlier versions, and refuses another key secret', async () => {
    const temp = makeTempDir();
    const configured = 'legacy-admin-key-0123456789abcdef';
    const generated = 'anole_legacygeneratedkey0123456789abcd';
    try {
      // Keys as earlier versions stored them: unkeyed SHA-256.
      const server = await startServer(base(temp.dir, { ANOLE_ADMIN_KEY: 'bootstrap-key-0123456789abcdef' }));
      await server.stop();
      const db = new Database(path.join(temp.dir, 'anole.db'));
      const sha = (k: string) => crypto.createHash('sha256').update(k).digest('hex');
      db.prepare("INSERT INTO api_keys (hash, role, site_id, label, created_at, origin) VALUES (?, 'admin', NULL, 'ANOLE_ADMIN_KEY', 1, 'configured')").run(sha(configured));
      db.prepare("INSERT INTO api_keys (hash, role, site_id, label, created_at, origin) VALUES (?, 'admin', NULL, 'generated at first start', 1, 'generated')").run(sha(generated));
      db.close();
      fs.writeFileSync(path.join(temp.dir, 'admin-key'), `${generated}\n`, { mode: 0o600 });

      const upgraded = await startServer(base(temp.dir, { ANOLE_ADMIN_KEY: configured }));
      expect(await status(upgraded.url, configured)).toBe(200);
      expect(await status(upgraded.url, generated)).toBe(200);
      await upgraded.stop();
      const after = new Database(path.join(temp.dir, 'anole.db'), { readonly: true });
      const hashes = after.prepare<[], { hash: string }>('SELECT hash FROM api_keys').all().map((r) => r.hash);
      after.close();
      expect(hashes.every((h) => h.startsWith('h1:'))).toBe(true);

      const other = await runMain({ ANOLE_DATA_DIR: temp.dir, ANOLE_ADMIN_KEY: configured, ANOLE_KEY_SECRET: 'another-secret-0123456789abcdefghijkl' });
      expect(other.code).toBe(2);
      expect(other.stdout + other.stderr).toContain('ANOLE_KEY_SECRET to the same value on every node');
    } finally {
      temp.remove();
    }
  });

  it('writes no key to the logs, whatever the requests carry, even at debug level', async () => {
    const temp = makeTempDir();
    const admin = 'logged-admin-key-0123456789abcdefghij';
    const wrong = 'anole_wrong-key-that-must-not-be-logged0';
    let issued = '';
    try {
      const run = await runMain({ ANOLE_DATA_DIR: temp.dir, ANOLE_ADMIN_KEY: admin, ANOLE_LOG_LEVEL: 'trace' }, async (url) => {
        const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
        const created = await fetch(`${url}/api/keys`, { method: 'POST', headers: auth(admin), body: JSON.stringify({ role: 'read', label: 'logged?' }) });
        issued = ((await created.json()) as { key: string }).key;
        await fetch(`${url}/api/keys`, { headers: auth(issued) });
        await fetch(`${url}/api/keys`, { headers: auth(wrong) });
        await fetch(`${url}/visit/events?siteCode=s`, { method: 'POST', headers: auth(wrong), body: 'x' });
        await fetch(`${url}/api/keys`, { method: 'POST', headers: auth(admin), body: '{' });
      });
      expect(run.code).toBe(0);
      expect(issued).toMatch(/^anole_/);
      const logs = run.stdout + run.stderr;
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of [admin, wrong, issued, fs.readFileSync(path.join(temp.dir, 'key-secret'), 'utf8').trim()]) expect(logs).not.toContain(secret);
    } finally {
      temp.remove();
    }
  });

  it('never echoes a refused key or secret in the configuration error', () => {
    expect(() => loadConfig({ ANOLE_ADMIN_KEY: 'short-secret', ANOLE_KEY_SECRET: 'too short' })).toThrow(/ANOLE_ADMIN_KEY=<redacted>/);
    try {
      loadConfig({ ANOLE_ADMIN_KEY: 'short-secret', ANOLE_KEY_SECRET: 'too short' });
    } catch (error) {
      expect(String(error)).not.toContain('short-secret');
      expect(String(error)).not.toContain('too short');
      expect(String(error)).toContain('ANOLE_KEY_SECRET=<redacted>');
    }
  });
});
