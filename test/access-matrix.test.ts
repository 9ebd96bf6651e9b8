import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/main.ts';
import { createTestDatabase, testPostgres, type TestDatabase } from './helpers/postgres-database.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

/**
 * Every route of the OpenAPI document × every kind of credential × an open and a private site,
 * over real HTTP, on both engines. The expected answer comes from the table below, written from
 * docs/security.md, not from the code that enforces it; a route the document adds is tested
 * through its `x-anole-access` declaration, and an access kind without a row fails.
 */
const CREDENTIALS = ['none', 'wrong', 'revoked', 'other', 'read', 'site', 'admin'] as const;
type Credential = (typeof CREDENTIALS)[number];
type Expect = 'ok' | 401 | 403;
type Row = Record<Credential, Expect>;

const row = (none: Expect, other: Expect, read: Expect, site: Expect, admin: Expect = 'ok'): Row => ({ none, wrong: 401, revoked: 401, other, read, site, admin });
/** access → site mode → credential → answer; `site` is a site key of the site the request names. */
const EXPECTED: Record<string, { open: Row; private: Row; withoutSite?: Row }> = {
  // A key that is sent is checked even where none is needed.
  public: { open: { none: 'ok', wrong: 401, revoked: 401, other: 'ok', read: 'ok', site: 'ok', admin: 'ok' }, private: { none: 'ok', wrong: 401, revoked: 401, other: 'ok', read: 'ok', site: 'ok', admin: 'ok' } },
  ingest: { open: row('ok', 403, 'ok', 'ok'), private: row(401, 403, 403, 'ok') },
  'visitor-read': { open: row('ok', 403, 'ok', 'ok'), private: row(401, 403, 'ok', 'ok') },
  // Neither site sets openForget.
  forget: { open: row(401, 403, 403, 'ok'), private: row(401, 403, 403, 'ok') },
  read: { open: row(401, 403, 'ok', 'ok'), private: row(401, 403, 'ok', 'ok'), withoutSite: row(401, 403, 'ok', 403) },
  // The site list: a site key of any site may call it (and sees its own site only).
  'site-list': { open: row(401, 'ok', 'ok', 'ok'), private: row(401, 'ok', 'ok', 'ok'), withoutSite: row(401, 'ok', 'ok', 'ok') },
  'site-write': { open: row(401, 403, 403, 'ok'), private: row(401, 403, 403, 'ok') },
  admin: { open: row(401, 403, 403, 403), private: row(401, 403, 403, 403), withoutSite: row(401, 403, 403, 403) },
};

interface Operation {
  path: string;
  method: string;
  access: string;
  namesSite: boolean;
  query: string[];
}

async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

function matrix(engine: string, start: () => Promise<{ server: RunningServer; cleanup: () => Promise<void> }>) {
  describe(`route × credential matrix on ${engine}`, () => {
    let server: RunningServer;
    let cleanup: () => Promise<void>;
    const ADMIN = 'matrix-admin-key-0123456789abcdefghij';
    const keys: Record<string, string> = {};

    const call = async (method: string, path: string, key: string | null, body?: unknown) => {
      const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
      return fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    };
    const issue = async (spec: object) => ((await json(await call('POST', '/api/keys', ADMIN, spec))) as { id: number; key: string });

    beforeAll(async () => {
      ({ server, cleanup } = await start());
      for (const site of ['mxopen', 'mxpriv', 'mxother']) {
        const settings = site === 'mxpriv' ? { privateIngest: true, privateReads: true } : {};
        expect((await call('PATCH', `/api/sites/${site}`, ADMIN, settings)).status).toBe(200);
      }
      keys.read = (await issue({ role: 'read', label: 'matrix read' })).key;
      keys.siteOpen = (await issue({ role: 'site', siteCode: 'mxopen', label: 'matrix open' })).key;
      keys.sitePriv = (await issue({ role: 'site', siteCode: 'mxpriv', label: 'matrix private' })).key;
      keys.other = (await issue({ role: 'site', siteCode: 'mxother', label: 'matrix other' })).key;
      const revoked = await issue({ role: 'admin', label: 'matrix revoked' });
      expect((await call('DELETE', `/api/keys/${revoked.id}`, ADMIN)).status).toBe(204);
      keys.revoked = revoked.key;
    });
    afterAll(async () => {
      await cleanup?.();
    });

    it('answers every route of the OpenAPI document as the access table says', async () => {
      const doc = await json(await fetch(`${server.url}/openapi.json`));
      const operations: Operation[] = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => {
          const params = (op.parameters ?? []) as { in: string; name: string }[];
          return {
            path,
            method: method.toUpperCase(),
            access: op['x-anole-access'],
            namesSite: params.some((p) => p.name === 'siteCode'),
            query: params.filter((p) => p.in === 'query').map((p) => p.name),
          };
        }),
      );
      expect(operations.length).toBeGreaterThan(20);
      const failures: string[] = [];
      let checked = 0;
      for (const op of operations) {
        const table = EXPECTED[op.access];
        expect(table, `${op.method} ${op.path}: access ${op.access} has a row in the table`).toBeDefined();
        for (const mode of ['open', 'private'] as const) {
          const site = mode === 'open' ? 'mxopen' : 'mxpriv';
          const expected = op.namesSite ? table![mode] : (table!.withoutSite ?? table![mode]);
          for (const credential of CREDENTIALS) {
            const key = {
              none: null,
              wrong: 'anole_not-a-key-of-this-server-at-all0',
              revoked: keys.revoked!,
              other: keys.other!,
              read: keys.read!,
              site: mode === 'open' ? keys.siteOpen! : keys.sitePriv!,
              admin: ADMIN,
            }[credential];
            // Values that name the site, and harmless ones for the rest: the status of an allowed
            // call (200, 204, 400, 404…) is not what is tested, only that it is not 401 or 403.
            let url = op.path
              .replace('{siteCode}', site)
              .replace('{id}', '999999')
              .replace(/\{[A-Za-z]+\}/g, '1');
            const query = op.query.map((name) => `${name}=${encodeURIComponent({ siteCode: site, visitorCode: 'v', key: 'k', keys: '["k"]' }[name] ?? '')}`);
            const mustHave = op.query.filter((n) => ['siteCode', 'visitorCode', 'key', 'keys'].includes(n));
            if (mustHave.length > 0) url += `?${query.filter((q) => mustHave.some((n) => q.startsWith(`${n}=`))).join('&')}`;
            const res = await call(op.method, url, key);
            await res.arrayBuffer();
            const want = expected[credential];
            const got = res.status;
            const fine = want === 'ok' ? got !== 401 && got !== 403 && got < 500 : got === want;
            checked++;
            if (!fine) failures.push(`${op.method} ${url} [${op.access}, ${mode}, ${credential}]: expected ${want}, got ${got}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(checked).toBe(operations.length * 2 * CREDENTIALS.length);
    });
  });
}

matrix('SQLite', async () => {
  const temp = makeTempDir();
  const server = await startServer(
    loadConfig({ ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_WORKER: 'false', ANOLE_ADMIN_KEY: 'matrix-admin-key-0123456789abcdefghij', ANOLE_RATE_LIMITS: 'off', ANOLE_SITE_CACHE_MS: '0' }),
  );
  return {
    server,
    cleanup: async () => {
      await server.stop();
      temp.remove();
    },
  };
});

const pg = testPostgres();
if (pg.skip === null) {
  matrix('PostgreSQL', async () => {
    const temp = makeTempDir();
    const database: TestDatabase = await createTestDatabase(pg.adminUrl!);
    const server = await startServer(
      loadConfig({
        DATABASE_URL: database.url,
        ANOLE_PG_POOL_SIZE: '3',
        ANOLE_DATA_DIR: temp.dir,
        ANOLE_PORT: '0',
        ANOLE_LOG_LEVEL: 'silent',
        ANOLE_WORKER: 'false',
        ANOLE_ADMIN_KEY: 'matrix-admin-key-0123456789abcdefghij',
        ANOLE_RATE_LIMITS: 'off',
        ANOLE_SITE_CACHE_MS: '0',
      }),
    );
    return {
      server,
      cleanup: async () => {
        await server.stop();
        temp.remove();
        await database.drop();
      },
    };
  });
} else {
  describe.skip(`route × credential matrix on PostgreSQL (skipped: ${pg.skip})`, () => {
    it('needs a PostgreSQL test server', () => undefined);
  });
}
