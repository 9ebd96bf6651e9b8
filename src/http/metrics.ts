import client from 'prom-client';
import type { EventVerdict, IngestReport } from '../ingest/ingest-events.ts';
import type { Storage, StoreStats } from '../storage/port.ts';
import { threadBusySeconds } from '../threads/thread-busy.ts';

/** Prometheus metrics of one process. A registry per app keeps tests independent. */
export interface Metrics {
  registry: client.Registry;
  recordIngest(report: IngestReport): void;
  /** Events of a request refused as a whole (invalid_events): each counts as rejected with its code. */
  recordRejectedEvents(verdicts: readonly EventVerdict[]): void;
  recordRejectedRequest(code: string): void;
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  /** A connection closed on arrival: the process (`total`) or its address (`address`) holds too many. */
  recordRefusedConnection(reason: 'total' | 'address'): void;
  /** A request refused with 429 by the named rate limit. */
  recordRateLimited(limit: string): void;
  /** Exposes the request-body budget (src/http/body-budget.ts): bytes in use and requests waiting. */
  watchBodyBudget(budget: { readonly used: number; readonly waiting: number }): void;
}

export function createMetrics(storage: Storage): Metrics {
  const registry = new client.Registry();
  // The store's gauges come from one read per scrape, not one each: a scrape collects its gauges
  // together, so they share the read in flight; the next scrape reads afresh (never a stale count).
  let pending: Promise<StoreStats> | null = null;
  const stats = (): Promise<StoreStats> =>
    (pending ??= storage.stats().finally(() => {
      pending = null;
    }));
  client.collectDefaultMetrics({ register: registry, prefix: 'anole_process_' });
  const events = new client.Counter({
    name: 'anole_events_total',
    help: 'Events received by POST /visit/events, by outcome (accepted, duplicate, rejected) and rejection code.',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  const ignoredFields = new client.Counter({
    name: 'anole_ignored_fields_total',
    help: 'Fields of stored events that their event type does not read, ignored (with a warning in the verdicts; strict=true rejects such events as unknown_field).',
    registers: [registry],
  });
  const rejectedRequests = new client.Counter({
    name: 'anole_rejected_requests_total',
    help: 'Requests refused as a whole, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const refusedConnections = new client.Counter({
    name: 'anole_refused_connections_total',
    help: 'Connections closed on arrival because the process (total) or the client address (address) held too many.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const rateLimited = new client.Counter({
    name: 'anole_rate_limited_total',
    help: 'Requests refused with 429 rate_limited, by the limit reached (names of ANOLE_RATE_LIMITS).',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'anole_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response (for POST /visit/events: until the events are durable).',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new client.Gauge({
    name: 'anole_store_bytes',
    help: 'Bytes the store occupies on disk.',
    registers: [registry],
    async collect() {
      this.set((await stats()).bytes ?? 0);
    },
  });
  new client.Gauge({
    name: 'anole_dirty_backlog',
    help: 'Identities waiting for the attribution worker (dirty marks): how far results lag behind the events.',
    registers: [registry],
    async collect() {
      this.set(await storage.dirtyBacklog());
    },
  });
  new client.Gauge({
    name: 'anole_store_events',
    help: 'Events held by the store.',
    registers: [registry],
    async collect() {
      this.set((await stats()).events);
    },
  });

  new client.Gauge({
    name: 'anole_registry_refused_registrations',
    help: 'Registry entries for experiment, variation and goal ids seen in events that the site registry quota refused (the events are stored), summed over sites since the store was created, across every node; an id refused in several worker rounds counts each time.',
    registers: [registry],
    async collect() {
      this.set((await stats()).registryRefused);
    },
  });
  // thread-busy.ts only ever counts up (an exited thread's time is kept under its name), so each
  // scrape sets the counter to its reading.
  new client.Counter({
    name: 'anole_thread_busy_seconds_total',
    help: "Seconds each thread of this process kept its event loop busy, by thread name (main: the HTTP thread); its rate is the thread's share of a core. A thread near 1 is what the requests behind it wait for.",
    labelNames: ['thread'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [thread, seconds] of threadBusySeconds()) this.inc({ thread }, seconds);
    },
  });
  const stringValues = new client.Counter({
    name: 'anole_string_values_total',
    help: 'Numbers and booleans sent as JSON strings in stored events, read as what they spell (with a warning in the verdicts; strict=true rejects such events as string_value).',
    registers: [registry],
  });

  function countRejected(verdicts: readonly EventVerdict[]): void {
    for (const verdict of verdicts) {
      if (verdict.status === 'rejected') events.inc({ outcome: 'rejected', code: verdict.code ?? 'unknown' });
    }
  }

  return {
    registry,
    recordIngest(report) {
      if (report.dryRun) return;
      if (report.accepted) events.inc({ outcome: 'accepted', code: '' }, report.accepted);
      if (report.duplicate) events.inc({ outcome: 'duplicate', code: '' }, report.duplicate);
      if (report.ignoredFields) ignoredFields.inc(report.ignoredFields);
      if (report.stringValues) stringValues.inc(report.stringValues);
      countRejected(report.events);
    },
    recordRejectedEvents: countRejected,
    recordRejectedRequest(code) {
      rejectedRequests.inc({ code });
    },
    recordRateLimited(limit) {
      rateLimited.inc({ limit });
    },
    recordRefusedConnection(reason) {
      refusedConnections.inc({ reason });
    },
    watchBodyBudget(budget) {
      new client.Gauge({
        name: 'anole_body_budget_bytes',
        help: 'Request-body bytes being read or processed now (at most ANOLE_BODY_BUDGET_MB).',
        registers: [registry],
        collect() {
          this.set(budget.used);
        },
      });
      new client.Gauge({
        name: 'anole_body_budget_waiting_requests',
        help: 'Requests waiting, their body unread, for room in the request-body budget.',
        registers: [registry],
        collect() {
          this.set(budget.waiting);
        },
      });
    },
    observeRequest(labels, seconds) {
      latency.observe({ ...labels, status: String(labels.status) }, seconds);
    },
  };
}
