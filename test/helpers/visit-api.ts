/** Small clients for the Visit API over real HTTP, shared by the integration tests. */

/** The answer of verdicts=true and dryRun=true is the ingest report itself. */
export type { EventVerdict as Verdict, IngestReport } from '../../src/ingest/ingest-events.ts';
import type { IngestReport } from '../../src/ingest/ingest-events.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON; `text` says what it is.
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function postEvents(baseUrl: string, query: string, body: string, headers: Record<string, string> = { 'Content-Type': '*/*' }): Promise<Reply> {
  return reply(await fetch(`${baseUrl}/visit/events?${query}`, { method: 'POST', headers, body }));
}

/** Posts with verdicts=true and answers the per-event report. */
export async function postForVerdicts(baseUrl: string, query: string, body: string): Promise<IngestReport> {
  const r = await postEvents(baseUrl, `${query}&verdicts=true`, body);
  if (r.status !== 200) throw new Error(`expected 200 with verdicts, got ${r.status}: ${r.text.slice(0, 500)}`);
  return r.json as IngestReport;
}

export async function getVisitor(baseUrl: string, query: string): Promise<Reply> {
  return reply(await fetch(`${baseUrl}/visit/visitor?${query}`));
}

/** Every visit and event of one identity, as GET /visit/visitor returns it. */
export async function readAll(baseUrl: string, siteCode: string, identity: string): Promise<Record<string, unknown>> {
  const r = await getVisitor(baseUrl, `siteCode=${siteCode}&${identity}&all=true&currentVisit=true&maxNumberPreviousVisits=25`);
  if (r.status !== 200) throw new Error(`GET /visit/visitor answered ${r.status}: ${r.text}`);
  return r.json as Record<string, unknown>;
}

/** A 16-hex-digit nonce made from a number, so tests can name their events. */
export function nonce(n: number): string {
  return n.toString(16).toUpperCase().padStart(16, '0');
}
