import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { inProcessReads, type HeavyReads } from '../analysis/heavy-reads.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { GroupCommitter } from '../ingest/group-commit.ts';
import type { Storage } from '../storage/port.ts';
import type { Keyring } from '../access/api-keys.ts';
import { LIMITS } from '../core/limits.ts';
import { DEFAULT_QUOTAS, type SiteQuotas } from '../core/site-settings.ts';
import { ROUTE_ACCESS } from '../access/route-access.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../access/rate-budgets.ts';
import { createRateLimiter } from '../access/rate-limiter.ts';
import { registerApiKeys } from './routes/api-keys.ts';
import { installAccessControl } from './access-control.ts';
import { installBodyBudget } from './body-budget.ts';
import { installBodyDecoding } from './body-encoding.ts';
import { createClientErrorHandler, installHostCheck } from './client-errors.ts';
import { limitConnections, timeoutOptions, type ConnectionLimits } from './connection-limits.ts';
import { registerDashboard } from '../dashboard/dashboard-routes.ts';
import { installCors, type CorsOrigins } from './cors.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { installErrorHandling, sendError } from './errors.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { ERROR_SCHEMA, errorResponses, schemaCompilers, SWAGGER_OPTIONS } from './openapi.ts';
import { parseQueryString, rejectQueryOverflow } from './query-string.ts';
import { formatValidationError } from './validation-errors.ts';
import { registerAdmin } from './routes/admin.ts';
import { registerImports } from './routes/imports.ts';
import { registerMapRoutes } from './routes/map-maps.ts';
import { registerOperations } from './routes/operations.ts';
import { registerVisitEvents } from './routes/visit-events.ts';
import { registerVisitForget } from './routes/visit-forget.ts';
import { registerVisitVisitor } from './routes/visit-visitor.ts';

export interface AppDeps {
  storage: Storage;
  sites: SiteDirectory;
  committer: GroupCommitter;
  keyring: Keyring;
  /** Visitor reads and explanations: the server answers them on its query thread; in this thread by default. */
  reads?: HeavyReads;
  now?: () => number;
}

export interface AppOptions {
  bodyLimitBytes: number;
  /** Request-body bytes read and processed at once (ANOLE_BODY_BUDGET_MB); 32 MB when absent. */
  bodyBudgetBytes?: number;
  logLevel?: string;
  /** The process's logger (src/log.ts); without one, fastify logs at `logLevel` on its own. */
  logger?: FastifyBaseLogger;
  /** Origins allowed to call from a browser; `*` (the default) allows any. */
  corsOrigins?: CorsOrigins;
  /** Origins allowed to call /api from a browser; null (the default): none, no CORS on /api. */
  apiCorsOrigins?: CorsOrigins | null;
  /** Timeouts and connection caps; the defaults of config.ts when absent. */
  connections?: ConnectionLimits;
  /** Requests per budget; null turns rate limits off; the defaults when absent. */
  rateLimits?: RateLimits | null;
  /** fastify's trustProxy: whose X-Forwarded-For names the client the limits count by. */
  trustProxy?: boolean | string[];
  /** Each site's quotas unless its settings say otherwise; LIMITS' defaults when absent. */
  quotas?: SiteQuotas;
}

/** Counters tracked per node before old windows are dropped (a flood from many addresses). */
const RATE_LIMIT_KEYS = 100_000;

export interface AnoleApp {
  app: FastifyInstance;
  metrics: Metrics;
  /** Marks the app as stopping: /health turns 503 and fastify refuses new requests while closing. */
  markStopping(): void;
}

const OPTIONAL_KEY = new Set(['ingest', 'visitor-read', 'forget']);
const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: LIMITS.requestTimeoutMs,
  headersTimeoutMs: LIMITS.headersTimeoutMs,
  keepAliveTimeoutMs: LIMITS.keepAliveTimeoutMs,
  idleTimeoutMs: LIMITS.idleTimeoutMs,
  maxConnections: LIMITS.maxConnections,
  maxConnectionsPerAddress: LIMITS.maxConnectionsPerAddress,
};

/** Builds the HTTP edge: thin routes over the use-cases, one error registry, metrics, OpenAPI. */
export async function buildApp(deps: AppDeps, options: AppOptions): Promise<AnoleApp> {
  const reads = deps.reads ?? inProcessReads({ storage: deps.storage, sites: deps.sites });
  const now = deps.now ?? Date.now;
  const metrics = createMetrics(deps.storage);
  const timeouts = timeoutOptions(options.connections ?? DEFAULT_CONNECTION_LIMITS);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: options.logLevel === 'silent' || !options.logLevel ? false : { level: options.logLevel } }),
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { querystringParser: parseQueryString },
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    ...timeouts,
    // A missing Host is answered in the error contract by installHostCheck instead of Node's empty 400.
    http: { ...timeouts.http, requireHostHeader: false },
    clientErrorHandler: createClientErrorHandler(metrics),
    // One line per request at 50k req/s is noise; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaController: schemaCompilers(),
    schemaErrorFormatter: formatValidationError,
    // A path that is not valid percent-encoding names no route; answer in the registry's shape.
    frameworkErrors: (error, request, reply) => {
      sendError(reply, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}: ${error.message}`);
    },
  });
  let stopping = false;

  await app.register(swagger, {
    ...SWAGGER_OPTIONS,
    // Each operation says who may call it, from the same declaration the access hook enforces.
    transform: ({ schema, url, route }) => {
      const access = route.config?.access ?? 'public';
      const described = { ...schema, 'x-anole-access': access, description: [schema?.description, `Access: ${access}. ${ROUTE_ACCESS[access]}`].filter(Boolean).join('\n\n') };
      // {} in the list: the key is optional (needed only when the site closes the route).
      const key: Record<string, string[]> = { bearerAuth: [] };
      const security = access === 'public' ? [] : OPTIONAL_KEY.has(access) ? [key, {}] : [key];
      // Every route that may need a key may answer 401 and 403; its own answers come first.
      const response = access === 'public' ? schema?.response : { ...errorResponses('unauthorized', 'forbidden'), ...(schema?.response as object | undefined) };
      return { url, schema: { ...described, security, ...(response ? { response } : {}) } };
    },
  });
  app.addSchema(ERROR_SCHEMA);

  // Kameleoon clients send any Content-Type (the SDKs send `*/*`); the `json` query flag, not the
  // header, decides the format, so every body is read as text (gzip and deflate decoded first).
  const budget = installBodyBudget(app, { bytes: options.bodyBudgetBytes ?? 32 * 1024 * 1024, maxRequestBytes: options.bodyLimitBytes });
  metrics.watchBodyBudget(budget);
  installBodyDecoding(app);

  installHostCheck(app);
  app.addHook('onRequest', rejectQueryOverflow);

  const knownPaths = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = knownPaths.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    knownPaths.set(route.url, methods);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });
  installErrorHandling(app, metrics, () => knownPaths);
  limitConnections(app.server, options.connections ?? DEFAULT_CONNECTION_LIMITS, (reason) => metrics.recordRefusedConnection(reason));
  installSecurityHeaders(app);
  await installCors(app, options.corsOrigins ?? '*', options.apiCorsOrigins ?? null);
  const limits = options.rateLimits === undefined ? { ...DEFAULT_RATE_LIMITS } : options.rateLimits;
  installAccessControl(app, {
    ...deps,
    rateLimits: limits && { limits, limiter: createRateLimiter({ now, maxKeys: RATE_LIMIT_KEYS }), onLimited: (name) => metrics.recordRateLimited(name) },
  });

  const quotas = options.quotas ?? DEFAULT_QUOTAS;
  registerVisitEvents(app, { ...deps, metrics, now, quotas });
  registerVisitVisitor(app, { ...deps, reads, now });
  registerVisitForget(app, deps);
  registerMapRoutes(app, { ...deps, now, budget, quotas });
  registerAdmin(app, { ...deps, reads, now, quotas });
  registerApiKeys(app, deps);
  registerDashboard(app);
  registerImports(app, { ...deps, now });
  registerOperations(app, { storage: deps.storage, metrics, isStopping: () => stopping, startedAt: now(), now });

  return {
    app,
    metrics,
    markStopping() {
      stopping = true;
    },
  };
}
