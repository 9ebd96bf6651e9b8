/**
 * The load generator, run as its own process (forked by run-load.ts) so that building bodies and
 * reading responses never share an event loop with the server or with the bench driver.
 * A fixed number of keep-alive connections each send one request at a time, back to back.
 */
import http from 'node:http';
import { eventBody, visitorCodeOf } from './event-source.ts';
import { httpRequest } from './http-request.ts';
import { LatencyLog, type LatencySummary } from './latency.ts';

export interface LoadJob {
  mode: 'post' | 'get';
  host: string;
  port: number;
  siteCode: string;
  connections: number;
  /** post: events per request body. */
  eventsPerRequest: number;
  /** post: number of the first event to send (event numbers pick visitors, see event-source.ts). */
  firstEvent: number;
  /** post: stop once this many events have been sent. */
  maxEvents: number;
  /** Stop sending after this long, whatever else. */
  durationMs: number;
  /** post: report a segment each time this many more events are acknowledged (0: no segments). */
  segmentEvents: number;
  /** get: visitors numbered 0 … visitors − 1 exist. */
  visitors: number;
}

export interface LoadStats {
  events: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  latency: LatencySummary;
  firstError?: string;
}

export type LoadMessage =
  | ({ kind: 'segment'; storeEvents: number } & LoadStats)
  | ({ kind: 'done'; nextEvent: number } & LoadStats);

async function run(job: LoadJob): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const started = performance.now();
  const deadline = started + job.durationMs;
  let nextEvent = job.firstEvent;
  const lastEvent = job.firstEvent + job.maxEvents;

  const total = { events: 0, requests: 0, errors: 0, latency: new LatencyLog() };
  let segment = { events: 0, requests: 0, errors: 0, latency: new LatencyLog(), started };
  let firstError: string | undefined;

  const postPath = `/visit/events?siteCode=${job.siteCode}`;
  async function connection(): Promise<void> {
    while (performance.now() < deadline) {
      let path = postPath;
      let body: string | null = null;
      let events = 0;
      if (job.mode === 'post') {
        if (nextEvent >= lastEvent) return;
        events = Math.min(job.eventsPerRequest, lastEvent - nextEvent);
        body = eventBody(nextEvent, events);
        nextEvent += events;
      } else {
        const code = visitorCodeOf(Math.floor(Math.random() * job.visitors));
        path = `/visit/visitor?siteCode=${job.siteCode}&visitorCode=${code}&maxNumberPreviousVisits=25&currentVisit=true&all=true`;
      }
      const t0 = performance.now();
      let ok = false;
      try {
        const res = await httpRequest(agent, job, job.mode === 'post' ? 'POST' : 'GET', path, body);
        ok = job.mode === 'post' ? res.status === 204 : res.status === 200;
        if (!ok) firstError ??= `${res.status} ${res.text.slice(0, 200)}`;
      } catch (error) {
        firstError ??= String(error);
      }
      const ms = performance.now() - t0;
      for (const s of [total, segment]) {
        s.requests += 1;
        if (ok) {
          s.events += events;
          s.latency.add(ms);
        } else {
          s.errors += 1;
        }
      }
      if (job.segmentEvents > 0 && segment.events >= job.segmentEvents) {
        const now = performance.now();
        const message: LoadMessage = {
          kind: 'segment',
          storeEvents: job.firstEvent + total.events,
          events: segment.events,
          requests: segment.requests,
          errors: segment.errors,
          elapsedMs: now - segment.started,
          latency: segment.latency.summary(),
        };
        process.send!(message);
        segment = { events: 0, requests: 0, errors: 0, latency: new LatencyLog(), started: now };
      }
    }
  }

  await Promise.all(Array.from({ length: job.connections }, () => connection()));
  agent.destroy();
  const message: LoadMessage = {
    kind: 'done',
    nextEvent,
    events: total.events,
    requests: total.requests,
    errors: total.errors,
    elapsedMs: performance.now() - started,
    latency: total.latency.summary(),
    ...(firstError ? { firstError } : {}),
  };
  process.send!(message);
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    void run(job).then(() => process.disconnect());
  });
}
