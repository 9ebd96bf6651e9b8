import { runLoad } from './run-load.ts';

export interface FillSegment {
  /** Events in the store when the segment ended. */
  storeEvents: number;
  eventsPerSecond: number;
  requestsPerSecond: number;
  ackP50: number;
  ackP99: number;
}

export interface FillResult {
  events: number;
  errors: number;
  elapsedMs: number;
  eventsPerSecond: number;
  segments: FillSegment[];
  nextEvent: number;
  firstError?: string;
}

/**
 * Fills the store through the real HTTP path with 100-event requests. This is the sustained-ingest
 * measurement: each segment (default one million events) is reported as it completes, so any slowdown
 * as the store grows shows up.
 */
export async function fillStore(
  options: { port: number; siteCode: string; events: number; connections: number; eventsPerRequest: number; segmentEvents: number; maxMs: number },
  onSegment: (segment: FillSegment) => void,
): Promise<FillResult> {
  const segments: FillSegment[] = [];
  const done = await runLoad(
    {
      mode: 'post',
      host: '127.0.0.1',
      port: options.port,
      siteCode: options.siteCode,
      connections: options.connections,
      eventsPerRequest: options.eventsPerRequest,
      firstEvent: 0,
      maxEvents: options.events,
      durationMs: options.maxMs,
      segmentEvents: options.segmentEvents,
      visitors: 0,
    },
    (s) => {
      const segment: FillSegment = {
        storeEvents: s.storeEvents,
        eventsPerSecond: s.events / (s.elapsedMs / 1000),
        requestsPerSecond: s.requests / (s.elapsedMs / 1000),
        ackP50: s.latency.p50,
        ackP99: s.latency.p99,
      };
      segments.push(segment);
      onSegment(segment);
    },
  );
  return {
    events: done.events,
    errors: done.errors,
    elapsedMs: done.elapsedMs,
    eventsPerSecond: done.events / (done.elapsedMs / 1000),
    segments,
    nextEvent: done.nextEvent,
    ...(done.firstError ? { firstError: done.firstError } : {}),
  };
}
