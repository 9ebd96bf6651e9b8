import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/temp-dir.ts';
import { nonce } from './helpers/visit-api.ts';

/** `npm start` as an operator runs it: a real process, its stdout read line by line. */
function run(env: Record<string, string>) {
  const temp = makeTempDir();
  // The test run's own ANOLE_* variables (the throwaway PostgreSQL) are not this server's settings.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ANOLE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => stdout.split('\n').filter((l) => l !== '');
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(stdout)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return pattern.exec(stdout)!;
  };
  return { child, exited, lines, waitFor, stderr: () => stderr, cleanup: () => temp.remove() };
}

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as { level: string; msg: string; [k: string]: unknown });

describe('start-up, logs and shutdown of a real process', () => {
  it('logs every line as one JSON format (banner and admin key included), warns about a misspelled variable, and logs its shutdown', async () => {
    const server = run({ ANOLE_PROT: '9090' });
    try {
      const [, url] = await server.waitFor(/anole listening on (http:\/\/[^"\s]+)/);
      await server.waitFor(/a new admin key was generated/);
      // A request with one rejected line: a sampled warning naming the first rejection's code.
      const body = [`eventType=page&href=/&nonce=${nonce(1)}`, 'eventType=page&href=/'].join('\n');
      for (let i = 0; i < 3; i++) await fetch(`${url}/visit/events?siteCode=logs&visitorCode=v1`, { method: 'POST', body });
      await server.waitFor(/rejected 1 event/);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);

      const lines = parsed(server.lines());
      expect(lines.every((l) => typeof l.level === 'string' && typeof l.msg === 'string' && typeof l.time === 'string')).toBe(true);
      expect(lines[0]).toMatchObject({ level: 'warn', msg: expect.stringContaining('unknown environment variable ANOLE_PROT is ignored; did you mean ANOLE_PORT?') });
      expect(lines.find((l) => l.msg.includes('admin key'))).toMatchObject({ level: 'warn', adminKeyFile: expect.stringContaining('admin-key') });
      expect(lines.some((l) => 'adminKey' in l)).toBe(false);
      const warnings = lines.filter((l) => l.msg.includes('rejected'));
      // Three requests within a minute: one line, the first rejection's code and line.
      expect(warnings).toEqual([expect.objectContaining({ level: 'warn', siteCode: 'logs', firstCode: 'missing_nonce', line: 2, suppressedSinceLast: 0 })]);
      expect(lines.slice(-3).map((l) => l.msg)).toEqual([
        'SIGTERM received',
        'anole stopping: no new requests; finishing those in flight',
        'anole stopped: every acknowledged event is durable',
      ]);
      expect(server.stderr()).toBe('');
    } finally {
      server.child.kill('SIGKILL');
      server.cleanup();
    }
  });

  it('answers a port in use with one clear line and exit code 2', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const server = run({ ANOLE_PORT: String(port), ANOLE_ADMIN_KEY: 'startup-test-key-0123456789' });
    try {
      expect(await server.exited).toBe(2);
      const lines = parsed(server.lines());
      expect(lines).toEqual([
        expect.objectContaining({ level: 'fatal', code: 'EADDRINUSE', msg: `cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); stop the other process or set ANOLE_PORT to a free port (0 picks one)` }),
      ]);
      expect(server.stderr()).toBe('');
    } finally {
      blocker.close();
      server.cleanup();
    }
  });

  it('answers a bad setting with one line naming it and what is allowed, and exit code 2', async () => {
    const server = run({ ANOLE_PORT: '80a', ANOLE_LOG_LEVEL: 'loud' });
    try {
      expect(await server.exited).toBe(2);
      const lines = parsed(server.lines());
      expect(lines).toHaveLength(1);
      expect(lines[0]!.level).toBe('fatal');
      expect(lines[0]!.msg).toContain('ANOLE_PORT="80a": must be a whole number from 0 to 65535');
      expect(lines[0]!.msg).toMatch(/ANOLE_LOG_LEVEL="loud": .*"fatal"\|"error"\|"warn"\|"info"/);
    } finally {
      server.cleanup();
    }
  });
});
