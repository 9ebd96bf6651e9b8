/**
 * The results benchmark's load generator, run as its own process (forked by the bench) so that
 * building bodies never shares an event loop with the server or with the measurements. Keep-alive
 * connections each send one 100-event request at a time: back to back for the fill, or paced to a
 * steady rate for the background load. Stops when the persons run out, the duration ends, or the
 * parent sends 'stop'.
 */
import http from 'node:http';
import { httpRequest } from './http-request.ts';
import { LatencyLog, type LatencySummary } from './latency.ts';
import { TrafficStream } from './results-traffic.ts';

export interface ResultsLoadJob {
  port: number;
  siteCode: string;
  connections: number;
  eventsPerRequest: number;
  firstPerson: number;
  persons: number;
  /** Persons whose events are interleaved at once. */
  activePersons: number;
  background: boolean;
  /** Events per second to pace to; 0 sends back to back. */
  ratePerSecond: number;
  durationMs: number;
  /** A progress message every this many milliseconds. */
  reportEveryMs: number;
}

export interface ResultsLoadStats {
  events: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  latency: LatencySummary;
  firstError?: string;
}

export type ResultsLoadMessage = ({ kind: 'progress' } & ResultsLoadStats) | ({ kind: 'done'; personsStarted: number } & ResultsLoadStats);

async function run(job: ResultsLoadJob): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const stream = new TrafficStream(job.firstPerson, job.firstPerson + job.persons, {
    active: job.activePersons,
    background: job.background,
    now: Date.now,
  });
  const started = performance.now();
  const deadline = started + job.durationMs;
  let stopped = false;
  process.on('message', (m) => {
    if (m === 'stop') stopped = true;
  });
  const total = { events: 0, requests: 0, errors: 0, latency: new LatencyLog() };
  let window = { events: 0, requests: 0, errors: 0, latency: new LatencyLog(), started };
  let firstError: string | undefined;
  let issued = 0;
  const stats = (s: typeof total, elapsedMs: number): ResultsLoadStats => ({
    events: s.events,
    requests: s.requests,
    errors: s.errors,
    elapsedMs,
    latency: s.latency.summary(),
    ...(firstError ? { firstError } : {}),
  });
  const reporter = setInterval(() => {
    const now = performance.now();
    process.send!({ kind: 'progress', ...stats(window, now - window.started) } satisfies ResultsLoadMessage);
    window = { events: 0, requests: 0, errors: 0, latency: new LatencyLog(), started: now };
  }, job.reportEveryMs);

  async function connection(): Promise<void> {
    while (!stopped && performance.now() < deadline) {
      if (job.ratePerSecond > 0) {
        // Request number `issued` is due at issued × (events per request / rate): a steady rate, not bursts.
        const due = started + (issued * job.eventsPerRequest * 1000) / job.ratePerSecond;
        issued += 1;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped || performance.now() >= deadline) return;
      }
      const next = stream.body(job.eventsPerRequest);
      if (!next) return;
      const t0 = performance.now();
      let ok = false;
      try {
        const res = await httpRequest(agent, { host: '127.0.0.1', port: job.port }, 'POST', `/visit/events?siteCode=${job.siteCode}`, next.body);
        ok = res.status === 204;
        if (!ok) firstError ??= `${res.status} ${res.text.slice(0, 300)}`;
      } catch (error) {
        firstError ??= String(error);
      }
      const ms = performance.now() - t0;
      for (const s of [total, window]) {
        s.requests += 1;
        if (ok) {
          s.events += next.events;
          s.latency.add(ms);
        } else {
          s.errors += 1;
        }
      }
    }
  }

  await Promise.all(Array.from({ length: job.connections }, () => connection()));
  clearInterval(reporter);
  agent.destroy();
  process.send!({ kind: 'done', personsStarted: stream.personsStarted, ...stats(total, performance.now() - started) } satisfies ResultsLoadMessage);
}

if (process.send) {
  process.once('message', (job: ResultsLoadJob) => {
    void run(job).then(() => process.disconnect());
  });
}
