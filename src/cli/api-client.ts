import { TargetError } from './target-error.ts';
import { UsageError } from './usage-error.ts';

export interface ApiTarget {
  url: string;
  key: string | null;
}

/**
 * One request to the server, its JSON answer, or the reason in the words a command prints:
 * unreachable or a refused key → TargetError (exit 3); any other refusal → UsageError (exit 2)
 * with the server's own message and code.
 */
export async function callApi<T>(target: ApiTarget, method: 'GET' | 'POST' | 'DELETE', pathAndQuery: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'user-agent': 'anole-cli' };
  if (target.key) headers.authorization = `Bearer ${target.key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${target.url}${pathAndQuery}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (error) {
    throw new TargetError('unreachable', `${target.url} cannot be reached: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message} (is the server running? --url or ANOLE_URL names it)`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (response.ok) return json as T;
  const answer = (json ?? {}) as { message?: string; code?: string };
  const said = `${response.status}${answer.code ? ` ${answer.code}` : ''}: ${answer.message ?? text.slice(0, 200)}`;
  if (response.status === 401 || response.status === 403) throw new TargetError('unauthorized', `${target.url} refused the key (${said}); pass --key or set ANOLE_KEY`);
  if (response.status >= 500) throw new TargetError('unreachable', `${target.url} failed (${said})`);
  throw new UsageError(`${target.url} answered ${said}`);
}
