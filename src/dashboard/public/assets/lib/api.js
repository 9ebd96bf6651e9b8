/**
 * Calls to Anole's /api with the key the user typed, kept for this tab only (sessionStorage), sent
 * as a bearer token. No cookie is ever set, so no other site can make the browser call the API as
 * the user (no CSRF).
 */
const KEY = 'anole.apiKey';
const listeners = new Set();

export function currentKey() {
  return sessionStorage.getItem(KEY);
}

export function signIn(key) {
  sessionStorage.setItem(KEY, key);
  for (const listener of listeners) listener();
}

export function signOut(reason) {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(reason);
}

/** Called with a reason when the key is dropped (a 401), without one on sign-in. */
export function onKeyChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** An answer other than 2xx, in the API's {"message","code"} shape. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's page, say.
  }
  const message = body && typeof body.message === 'string' ? body.message : `the server answered ${response.status} ${response.statusText}`;
  return new ApiError(response.status, body && typeof body.code === 'string' ? body.code : 'http_' + response.status, message, body);
}

/** GET (or another method with a JSON body) under /api; resolves to the parsed JSON answer. */
export async function api(path, { method = 'GET', body, signal, key = currentKey(), raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = typeof body === 'string' ? 'text/plain' : 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'the server cannot be reached: check that Anole is running and the network is up');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && key === currentKey()) signOut(error.message);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export { withSearch as withQuery } from './url.js';

export const enc = encodeURIComponent;
