import fs from 'node:fs';
import {
  KameleoonClient,
  LogLevel,
  type IExternalLogger,
  type IExternalRequester,
  type IExternalStorage,
  type IExternalVisitorCodeManager,
  type IPlatformAnalyzer,
  type KameleoonResponseType,
  type RequestType,
  type SDKParameters,
  type SendRequestParametersType,
} from '@kameleoon/javascript-sdk';

/**
 * Drives the official browser SDK (@kameleoon/javascript-sdk 4.17.1) in Node against a running Anole,
 * through its public extension points only. The SDK builds absolute https URLs on Kameleoon hosts;
 * the requester keeps path and query and sends them to Anole. The SDK configuration (`/v3/<site>`)
 * is not served by Anole yet: the requester answers it from test/fixtures/sdk-configuration.json.
 */

export interface SentRequest {
  requestType: string;
  method: string;
  /** The URL the SDK built (https://data.kameleoon.io/...). */
  sdkUrl: string;
  /** Where it was sent. */
  url: string;
  body: string | null;
  /** Status the SDK saw (a failure injected by the harness shows here, not the server's). */
  status: number;
  serverStatus: number;
}

export interface LogLine {
  level: LogLevel;
  message: string;
}

export interface SdkHarness {
  client: KameleoonClient;
  requests: SentRequest[];
  logs: LogLine[];
  errors(): LogLine[];
  /** The next `count` tracking POSTs reach the server, but the SDK is told they failed (500). */
  failTracking(count: number): void;
  /** Tracking bodies as the SDK sent them (retries included), one entry per POST. */
  trackingBodies(): string[];
  /** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

const CONFIGURATION = JSON.parse(fs.readFileSync(new URL('../fixtures/sdk-configuration.json', import.meta.url), 'utf8')) as unknown;

/** A fetch-like response built from text; the SDK calls json() / text() on it. */
function fixtureResponse(status: number, text: string): KameleoonResponseType {
  return new Response(text, { status, headers: { 'Content-Type': 'application/json' } }) as unknown as KameleoonResponseType;
}

function memoryStorage(): IExternalStorage {
  const data = new Map<string, string>();
  return {
    read: (key) => (data.has(key) ? JSON.parse(data.get(key)!) : null),
    write: (key, value) => void data.set(key, JSON.stringify(value)),
  };
}

function memoryCookies(): IExternalVisitorCodeManager {
  const jar = new Map<string, string>();
  return {
    getData: (key) => jar.get(key) ?? null,
    setData: ({ key, visitorCode }) => void jar.set(key, visitorCode),
  };
}

const platformAnalyzer: IPlatformAnalyzer = {
  getResult: () => ({ browser: { name: 'CHROME' as never, version: 120 }, os: { name: 'LINUX' as never }, platform: { type: 'DESKTOP' as never } }),
} as unknown as IPlatformAnalyzer;

export async function startSdkHarness(options: { serverUrl: string; siteCode: string }): Promise<SdkHarness> {
  const requests: SentRequest[] = [];
  const logs: LogLine[] = [];
  let failures = 0;

  const requester: IExternalRequester = {
    async sendRequest({ url, requestType, parameters: raw }: SendRequestParametersType<RequestType>): Promise<KameleoonResponseType> {
      // The three request types differ only in which of these they carry.
      const parameters = raw as { method: string; headers?: Record<string, string>; body?: string; signal: AbortSignal | null };
      const parsed = new URL(url);
      const record = (target: string, status: number, serverStatus: number) =>
        requests.push({
          requestType: String(requestType),
          method: parameters.method,
          sdkUrl: url,
          url: target,
          body: typeof parameters.body === 'string' ? parameters.body : null,
          status,
          serverStatus,
        });
      if (parsed.pathname.startsWith('/v3/')) {
        record('fixture', 200, 200);
        return fixtureResponse(200, JSON.stringify(CONFIGURATION));
      }
      // The SDK puts visitor codes and keys in the URL unencoded; keep the query byte for byte.
      const target = `${options.serverUrl}${url.slice(parsed.origin.length)}`;
      const response = await fetch(target, {
        method: parameters.method,
        headers: parameters.headers,
        body: parameters.body,
        signal: parameters.signal,
      });
      if (String(requestType) === 'tracking' && failures > 0) {
        failures -= 1;
        await response.arrayBuffer();
        record(target, 500, response.status);
        return fixtureResponse(500, '{"message":"injected failure"}');
      }
      record(target, response.status, response.status);
      return response as unknown as KameleoonResponseType;
    },
  };

  const logger: IExternalLogger = { log: (level, message) => void logs.push({ level, message }) };

  const client = new KameleoonClient({
    siteCode: options.siteCode,
    configuration: { trackingInterval: 100, updateInterval: 60 },
    externals: { requester, storage: memoryStorage(), visitorCodeManager: memoryCookies(), logger },
    // packageInfo is filled in by the browser SDK itself; only the analyzer is ours.
    _internals: { platformAnalyzer } as SDKParameters['_internals'],
  });
  client.setLogLevel(LogLevel.WARNING);
  await client.initialize();

  return {
    client,
    requests,
    logs,
    errors: () => logs.filter((l) => l.level === LogLevel.ERROR),
    failTracking(count) {
      failures += count;
    },
    trackingBodies: () => requests.filter((r) => r.requestType === 'tracking' && r.body !== null).map((r) => r.body!),
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error('timed out waiting for the SDK');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
