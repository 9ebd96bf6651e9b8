import os from 'node:os';
import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { LIMITS } from './core/limits.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './access/rate-budgets.ts';
import type { ConnectionLimits } from './http/connection-limits.ts';
import type { SiteQuotas } from './core/site-settings.ts';

/** The only reader of the environment: every setting, its default, and why a value is refused. */
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
};
/** `*` or a comma-separated list of exact origins (scheme://host[:port], no path). */
const origins = z
  .string()
  .transform((v) => (v.trim() === '*' ? ('*' as const) : v.split(',').map((o) => o.trim()).filter((o) => o !== '')))
  .refine((v) => v === '*' || (v.length > 0 && v.every((o) => /^https?:\/\/[^/\s,]+$/.test(o))), {
    message: 'must be * or a comma-separated list of origins such as https://shop.example,http://localhost:3000',
  });

/** `off`, or `name=requests,...` over the defaults, e.g. `address.ingest=240000,auth.failures=10`. */
const rateLimits = z
  .string()
  .transform((v, ctx): RateLimits | null => {
    if (v.trim() === 'off') return null;
    const limits: RateLimits = { ...DEFAULT_RATE_LIMITS };
    for (const part of v.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
      const [name, value] = part.split('=');
      if (!name || !Object.hasOwn(DEFAULT_RATE_LIMITS, name) || !/^[1-9][0-9]{0,9}$/.test(value ?? '')) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not name=count with a name among ${Object.keys(DEFAULT_RATE_LIMITS).join(', ')}` });
        return z.NEVER;
      }
      limits[name as keyof RateLimits] = Number(value);
    }
    return limits;
  });
/** Proxies whose X-Forwarded-For names the client: `true` (any), or addresses/CIDRs. */
const trustProxy = z.string().transform((v, ctx): boolean | string[] => {
  if (v === 'true' || v === 'false') return v === 'true';
  const list = v.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0 || !list.every((p) => /^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/.test(p))) {
    ctx.addIssue({ code: 'custom', message: 'must be true, false, or a comma-separated list of addresses or CIDRs' });
    return z.NEVER;
  }
  return list;
});

/**
 * Attribution threads per node by default: one per core, at most two. Their rounds and site-wide
 * recomputations share the work through leased claims, as the workers of several nodes do; past
 * two the writer thread, which writes what they compute, is the limit (docs/performance.md).
 */
const DEFAULT_WORKER_THREADS = Math.max(1, Math.min(2, os.availableParallelism()));

const ENV = z.object({
  ANOLE_HOST: z.string().min(1).default('127.0.0.1'),
  ANOLE_PORT: int(0, 65535).default(8080),
  ANOLE_DATA_DIR: z.string().min(1).default('data'),
  ANOLE_AUTO_CREATE_SITES: flag.default(true),
  ANOLE_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(LIMITS.eventsBodyBytes),
  ANOLE_BODY_BUDGET_MB: int(1, 64 * 1024).default(32),
  ANOLE_SQLITE_CACHE_MB: int(2, 64 * 1024).default(512),
  ANOLE_SQLITE_WAL_AUTOCHECKPOINT_PAGES: int(100, 10_000_000).default(16_000),
  ANOLE_SQLITE_KEY_MERGE_AT: int(100, 10_000_000).default(200_000),
  ANOLE_MAX_COMMIT_EVENTS: int(1, 1_000_000).default(20_000),
  ANOLE_MAX_EVENTS_PER_IDENTITY: int(100, 100_000_000).default(LIMITS.eventsPerIdentity),
  ANOLE_SITE_CACHE_MS: int(0, 3_600_000).default(5_000),
  ANOLE_SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  // postgres://user:password@host:port/database switches the node to PostgreSQL (shared by every node).
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/./, 'must be a postgres:// or postgresql:// URL').optional(),
  ANOLE_PG_POOL_SIZE: int(1, 1000).default(10),
  ANOLE_CORS_ORIGINS: origins.default('*'),
  ANOLE_MAP_PURGE_INTERVAL_MS: int(0, 86_400_000).default(600_000),
  ANOLE_MAP_BYTES_PER_SITE: int(0, 2 ** 50).default(LIMITS.mapBytesPerSite),
  ANOLE_REGISTRY_ENTRIES_PER_SITE: int(0, 1_000_000_000).default(LIMITS.registryEntriesPerSite),
  ANOLE_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').max(512).regex(/^[!-~]+$/, 'must be printable ASCII without spaces').optional(),
  ANOLE_KEY_SECRET: z.string().min(32, 'must be at least 32 characters').max(512).regex(/^[!-~]+$/, 'must be printable ASCII without spaces').optional(),
  ANOLE_KEY_CACHE_MS: int(0, 60_000).default(1_000),
  ANOLE_API_CORS_ORIGINS: origins.optional(),
  ANOLE_REQUEST_TIMEOUT_MS: int(1_000, 3_600_000).default(LIMITS.requestTimeoutMs),
  ANOLE_HEADERS_TIMEOUT_MS: int(1_000, 600_000).default(LIMITS.headersTimeoutMs),
  ANOLE_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 3_600_000).default(LIMITS.keepAliveTimeoutMs),
  ANOLE_IDLE_TIMEOUT_MS: int(1_000, 3_600_000).default(LIMITS.idleTimeoutMs),
  ANOLE_MAX_CONNECTIONS: int(16, 1_000_000).default(LIMITS.maxConnections),
  ANOLE_MAX_CONNECTIONS_PER_ADDRESS: int(1, 1_000_000).default(LIMITS.maxConnectionsPerAddress),
  ANOLE_METRICS_PORT: int(0, 65535).optional(),
  ANOLE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  ANOLE_RATE_LIMITS: rateLimits.optional(),
  ANOLE_TRUST_PROXY: trustProxy.default(false),
  ANOLE_WORKER: flag.default(true),
  ANOLE_WORKER_BATCH: int(1, 100_000).default(500),
  ANOLE_WORKER_IDLE_MS: int(1, 60_000).default(100),
  ANOLE_WORKER_LEASE_MS: int(1_000, 3_600_000).default(30_000),
  ANOLE_WORKER_NICE: int(0, 19).default(19),
  ANOLE_WORKER_THREADS: int(1, 16).default(DEFAULT_WORKER_THREADS),
  ANOLE_WORKER_GATHER_MS: int(0, 10_000).default(50),
  ANOLE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const SECRET_VARIABLES = new Set(['DATABASE_URL', 'ANOLE_ADMIN_KEY', 'ANOLE_KEY_SECRET']);

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  sqliteFile: string;
  /** PostgreSQL URL; null means the embedded SQLite store in dataDir. */
  databaseUrl: string | null;
  pgPoolSize: number;
  autoCreateSites: boolean;
  bodyLimitBytes: number;
  /** Request-body bytes read and processed at once; more wait unread (src/http/body-budget.ts). */
  bodyBudgetBytes: number;
  sqliteCacheMb: number;
  sqliteWalAutocheckpointPages: number;
  /** Log rows whose keys are held in memory (by the writer and each reading thread) before a merge. */
  sqliteKeyMergeAt: number;
  maxCommitEvents: number;
  /** Events one identity may hold; later ones are rejected with identity_event_limit. */
  maxEventsPerIdentity: number;
  siteCacheMs: number;
  shutdownTimeoutMs: number;
  logLevel: z.infer<typeof ENV>['ANOLE_LOG_LEVEL'];
  /** The admin key; when absent a fresh install generates one (see access/key-setup.ts). */
  adminKey: string | null;
  /** The secret API keys are hashed with; null: the key-secret file of the data directory. */
  keySecret: string | null;
  /** How long a node trusts a looked-up key: the bound on a revocation reaching every node. */
  keyCacheMs: number;
  /** Origins browsers may call /api from; null: none (the dashboard is same-origin). */
  apiCorsOrigins: '*' | string[] | null;
  /** Timeouts and connection caps of the HTTP listener. */
  connections: ConnectionLimits;
  /** Requests per budget (access/rate-budgets.ts); null: rate limits off. */
  rateLimits: RateLimits | null;
  /** fastify's trustProxy: whose X-Forwarded-For gives the client address the limits count by. */
  trustProxy: boolean | string[];
  /** A second listener serving /metrics without a key; null: /metrics only on the main port, behind a key. */
  metricsListener: { host: string; port: number } | null;
  /** Whether this node runs the attribution worker that keeps results up to date. */
  worker: { enabled: boolean; threads: number; batch: number; idleMs: number; gatherMs: number; leaseMs: number; niceness: number };
  /** Origins browsers may call from: `*` (any, like the hosted service) or an exact list. */
  corsOrigins: '*' | string[];
  /** How often expired map keys are purged; 0 disables the timer (expired keys stay invisible). */
  mapPurgeIntervalMs: number;
  /** Each site's quotas unless its settings say otherwise (maxRegistryEntries, maxMapBytes). */
  quotas: SiteQuotas;
  /** ANOLE_* variables that name no setting, each with the closest known name: logged at start-up. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty variables count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ENV.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        // A database URL may carry a password, and keys are secrets: never echo them.
        const shown = SECRET_VARIABLES.has(name) ? '<redacted>' : JSON.stringify(present[name] ?? '');
        return `${issue.path.join('.')}=${shown}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const crossed: string[] = [];
  if (e.ANOLE_HEADERS_TIMEOUT_MS > e.ANOLE_REQUEST_TIMEOUT_MS) crossed.push('ANOLE_HEADERS_TIMEOUT_MS: must not exceed ANOLE_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  if (e.ANOLE_KEEP_ALIVE_TIMEOUT_MS >= e.ANOLE_IDLE_TIMEOUT_MS) crossed.push('ANOLE_KEEP_ALIVE_TIMEOUT_MS: must be below ANOLE_IDLE_TIMEOUT_MS, or idle keep-alive connections are cut as idle');
  if (e.ANOLE_MAX_CONNECTIONS_PER_ADDRESS > e.ANOLE_MAX_CONNECTIONS) crossed.push('ANOLE_MAX_CONNECTIONS_PER_ADDRESS: must not exceed ANOLE_MAX_CONNECTIONS');
  if (crossed.length > 0) throw new ConfigError(crossed);
  return {
    warnings: unknownVariables(present),
    host: e.ANOLE_HOST,
    port: e.ANOLE_PORT,
    dataDir: e.ANOLE_DATA_DIR,
    sqliteFile: path.join(e.ANOLE_DATA_DIR, 'anole.db'),
    databaseUrl: e.DATABASE_URL ?? null,
    pgPoolSize: e.ANOLE_PG_POOL_SIZE,
    autoCreateSites: e.ANOLE_AUTO_CREATE_SITES,
    bodyLimitBytes: e.ANOLE_BODY_LIMIT_BYTES,
    bodyBudgetBytes: e.ANOLE_BODY_BUDGET_MB * 1024 * 1024,
    sqliteCacheMb: e.ANOLE_SQLITE_CACHE_MB,
    sqliteWalAutocheckpointPages: e.ANOLE_SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    sqliteKeyMergeAt: e.ANOLE_SQLITE_KEY_MERGE_AT,
    maxCommitEvents: e.ANOLE_MAX_COMMIT_EVENTS,
    maxEventsPerIdentity: e.ANOLE_MAX_EVENTS_PER_IDENTITY,
    siteCacheMs: e.ANOLE_SITE_CACHE_MS,
    shutdownTimeoutMs: e.ANOLE_SHUTDOWN_TIMEOUT_MS,
    logLevel: e.ANOLE_LOG_LEVEL,
    adminKey: e.ANOLE_ADMIN_KEY ?? null,
    keySecret: e.ANOLE_KEY_SECRET ?? null,
    keyCacheMs: e.ANOLE_KEY_CACHE_MS,
    apiCorsOrigins: e.ANOLE_API_CORS_ORIGINS ?? null,
    rateLimits: e.ANOLE_RATE_LIMITS === undefined ? { ...DEFAULT_RATE_LIMITS } : e.ANOLE_RATE_LIMITS,
    trustProxy: e.ANOLE_TRUST_PROXY,
    connections: {
      requestTimeoutMs: e.ANOLE_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.ANOLE_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.ANOLE_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.ANOLE_IDLE_TIMEOUT_MS,
      maxConnections: e.ANOLE_MAX_CONNECTIONS,
      maxConnectionsPerAddress: e.ANOLE_MAX_CONNECTIONS_PER_ADDRESS,
    },
    metricsListener: e.ANOLE_METRICS_PORT === undefined ? null : { host: e.ANOLE_METRICS_HOST, port: e.ANOLE_METRICS_PORT },
    worker: { enabled: e.ANOLE_WORKER, threads: e.ANOLE_WORKER_THREADS, batch: e.ANOLE_WORKER_BATCH, idleMs: e.ANOLE_WORKER_IDLE_MS, gatherMs: e.ANOLE_WORKER_GATHER_MS, leaseMs: e.ANOLE_WORKER_LEASE_MS, niceness: e.ANOLE_WORKER_NICE },
    corsOrigins: e.ANOLE_CORS_ORIGINS,
    mapPurgeIntervalMs: e.ANOLE_MAP_PURGE_INTERVAL_MS,
    quotas: { registryEntries: e.ANOLE_REGISTRY_ENTRIES_PER_SITE, mapBytes: e.ANOLE_MAP_BYTES_PER_SITE },
  };
}

/** A misspelled variable (ANOLE_PROT) would otherwise be ignored in silence. */
function unknownVariables(env: Record<string, string | undefined>): string[] {
  // The command line's variables (below) are known too: one environment serves both.
  const known = [...Object.keys(ENV.shape), ...Object.keys(CLI_ENV.shape)];
  return Object.keys(env)
    .filter((name) => name.startsWith('ANOLE_') && !known.includes(name))
    .map((name) => {
      const near = closest(name, known);
      const suggestion = distance(name, near) <= Math.max(2, Math.floor(name.length / 4)) ? `; did you mean ${near}?` : '';
      return `unknown environment variable ${name} is ignored${suggestion} (every setting: docs/configuration.md)`;
    });
}

/** What the `anole` command line reads from the environment, besides the server's settings. */
const CLI_ENV = z.object({
  ANOLE_URL: z.string().regex(/^https?:\/\/./, 'must be an http:// or https:// URL').default('http://127.0.0.1:8080'),
  ANOLE_KEY: z.string().min(1).max(512).optional(),
  ANOLE_STATE_DIR: z.string().min(1).optional(),
  XDG_STATE_HOME: z.string().min(1).optional(),
  HOME: z.string().min(1).optional(),
});

export interface CliConfig {
  /** The server the commands talk to. */
  url: string;
  /** The key sent as a bearer token, if any. */
  key: string | null;
  /** Where resumable imports keep their checkpoints. */
  stateDir: string;
}

export function loadCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = CLI_ENV.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  // The XDG base directory rule, as command-line tools on Linux keep their state.
  const stateHome = e.XDG_STATE_HOME ?? path.join(e.HOME ?? '.', '.local', 'state');
  return { url: e.ANOLE_URL.replace(/\/+$/, ''), key: e.ANOLE_KEY ?? null, stateDir: e.ANOLE_STATE_DIR ?? path.join(stateHome, 'anole') };
}
