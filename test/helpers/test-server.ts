import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/main.ts';
import { makeTempDir } from './temp-dir.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  stop: () => Promise<void>;
}

/**
 * A real server on a loopback port with its own SQLite file in a temp directory. `env` overrides
 * settings the way an operator would.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const temp = makeTempDir();
  const config = loadConfig({ ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_SQLITE_CACHE_MB: '16', ...env });
  const server = await startServer(config);
  return {
    url: server.url,
    dataDir: temp.dir,
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}
