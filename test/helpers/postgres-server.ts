import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir } from './temp-dir.ts';

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp directory, run as a
 * non-root user, listening on 127.0.0.1 only, on its own port, with a random password. `stop()`
 * shuts it down and deletes the directory.
 */
export interface PostgresServer {
  /** URL of the `postgres` database, for creating and dropping test databases. */
  adminUrl: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** First port tried; the next free one is taken when it is busy. */
  port?: number;
  /** Extra postgresql.conf settings (fsync stays on unless a caller says otherwise). */
  settings?: Record<string, string>;
}

/** The newest PostgreSQL server binaries installed the Debian way, or ANOLE_PG_BIN. */
export function findPostgresBin(): string | null {
  const fromEnv = process.env.ANOLE_PG_BIN;
  if (fromEnv) return fs.existsSync(path.join(fromEnv, 'initdb')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** PostgreSQL refuses to run as root; as root we run it as `postgres` (or a dedicated `anoletest` user). */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'anoletest']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (id.status === 0) {
      const gid = execFileSync('id', ['-g', name], { encoding: 'utf8' });
      return { name, uid: Number(id.stdout.trim()), gid: Number(gid.trim()) };
    }
  }
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'anoletest']);
  return serverUser();
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function freePort(first: number): Promise<number> {
  for (let port = first; port < first + 200; port++) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${first}..${first + 199}`);
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql, or set ANOLE_PG_BIN)');
  const user = serverUser();
  const temp = makeTempDir('anole-pg-');
  const dataDir = path.join(temp.dir, 'data');
  const password = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(path.join(temp.dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (user) {
    fs.chownSync(temp.dir, user.uid, user.gid);
    fs.chownSync(path.join(temp.dir, 'pwfile'), user.uid, user.gid);
  }
  const run = (command: string, args: string[]) => {
    const [file, argv] = user ? ['runuser', ['-u', user.name, '--', path.join(bin, command), ...args]] : [path.join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: temp.dir });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };

  try {
    run('initdb', ['-D', dataDir, '-U', 'anole', `--pwfile=${path.join(temp.dir, 'pwfile')}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort(options.port ?? 54329);
    const settings: Record<string, string> = {
      port: String(port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${temp.dir}'`,
      fsync: 'on',
      synchronous_commit: 'on',
      max_connections: '200',
      ...options.settings,
    };
    fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
    run('pg_ctl', ['-D', dataDir, '-l', path.join(temp.dir, 'server.log'), '-w', '-t', '60', 'start']);
    let stopped = false;
    return {
      adminUrl: `postgres://anole:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        } finally {
          temp.remove();
        }
      },
    };
  } catch (error) {
    const log = path.join(temp.dir, 'server.log');
    const detail = fs.existsSync(log) ? `\n${fs.readFileSync(log, 'utf8').slice(-2000)}` : '';
    temp.remove();
    throw new Error(`${(error as Error).message}${detail}`, { cause: error });
  }
}
