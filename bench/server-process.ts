import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  port: number;
  pid: number;
  stop(): Promise<number | null>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * The request budgets of a benchmark's server. A bench's load generator stands for many clients
 * but sends from one address, so the per-address and per-site budgets (2,000 ingest and 1,000
 * read requests a second per address by default) would refuse a fast machine's load with 429s
 * and the phase would measure those. Raised, not turned off: the limiter's own cost per request
 * stays in every figure. A run's own ANOLE_RATE_LIMITS wins.
 */
export const BENCH_RATE_LIMITS = 'address.ingest=600000000,address.read=600000000,site.ingest=600000000,site.read=600000000';

/**
 * Starts the real server (`src/main.ts` under tsx, as `npm start` does) as a child process on a
 * free loopback port with its own data directory, and resolves once /health answers 200.
 */
export async function startServerProcess(dataDir: string, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ANOLE_RATE_LIMITS: BENCH_RATE_LIMITS, ...process.env, ANOLE_HOST: '127.0.0.1', ANOLE_PORT: String(port), ANOLE_DATA_DIR: dataDir, ANOLE_LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('server did not become ready within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited(child);
      clearTimeout(timer);
      return code;
    },
  };
}
