import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/main.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

describe('admin key on a fresh install', () => {
  it('is generated once, kept owner-only beside the data, accepted, and never regenerated', async () => {
    const temp = makeTempDir();
    try {
      const config = loadConfig({ ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_WORKER: 'false' });
      const first = await startServer(config);
      const key = first.generatedAdminKey;
      expect(key).toMatch(/^anole_[A-Za-z0-9_-]{32}$/);
      const file = path.join(temp.dir, 'admin-key');
      expect(fs.readFileSync(file, 'utf8').trim()).toBe(key);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const ok = await fetch(`${first.url}/api/sites/any/experiments`, { headers: { Authorization: `Bearer ${key}` } });
      expect(ok.status).not.toBe(401);
      const database = fs.readFileSync(path.join(temp.dir, 'anole.db'));
      expect(database.includes(Buffer.from(key!))).toBe(false);
      await first.stop();

      const second = await startServer(config);
      expect(second.generatedAdminKey).toBeNull();
      const still = await fetch(`${second.url}/api/sites/any/experiments`, { headers: { Authorization: `Bearer ${key}` } });
      expect(still.status).not.toBe(401);
      await second.stop();
    } finally {
      temp.remove();
    }
  });
});
