import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/main.ts';
import { makeTempDir } from './temp-dir.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  /** The admin key the server accepts (ANOLE_ADMIN_KEY). */
  adminKey: string;
  /** Resolves once results reflect every acknowledged event. */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/**
 * A real server on a loopback port with its own SQLite file in a temp directory. `env` overrides
 * settings the way an operator would.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const temp = makeTempDir();
  const config = loadConfig({ ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_SQLITE_CACHE_MB: '16', ANOLE_ADMIN_KEY: TEST_ADMIN_KEY, ...env });
  const server = await startServer(config);
  return {
    url: server.url,
    dataDir: temp.dir,
    adminKey: config.adminKey ?? '',
    settle: server.settle,
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
