/**
 * The one registry of stable error codes. HTTP maps each to its status; ingestion verdicts use the
 * event codes; docs/errors.md lists them all and a test keeps it in sync with this file.
 */
export const ERROR_CODES = {
  // Request-level errors.
  invalid_query: { status: 400, summary: 'A query parameter is missing or malformed.' },
  malformed_request: { status: 400, summary: 'The HTTP request itself is malformed (bad request line or method, bad chunked encoding, Transfer-Encoding with Content-Length, a bare LF, an HTTP/1.1 request without Host); the connection is closed.' },
  invalid_body: { status: 400, summary: 'The body cannot be read in the format the request names (for example json=true with invalid JSON, or not an array).' },
  invalid_events: { status: 400, summary: 'Nothing was stored: in JSON (json=true, or a body starting with "[") at least one event is invalid; in line format no line is valid. The first 1,000 errors are listed under `errors`, every one is counted and located under `rejections`.' },
  answer_too_large: { status: 400, summary: 'The answer would exceed its documented cap (GET /map/maps: 4 MiB of stored JSON over its keys); ask for fewer keys per request.' },
  unauthorized: { status: 401, summary: 'A key is required and was missing, malformed, unknown or revoked; the message says which and where keys come from (docs/security.md).' },
  forbidden: { status: 403, summary: 'The key is valid but may not do this: a site key of another site, a read key where writing is asked, a non-admin key on an admin route.' },
  not_found: { status: 404, summary: 'No such route, or the experiment the path names is not registered (GET /api/sites/{site}/experiments/{id} and its results).' },
  unknown_site: { status: 404, summary: 'The site code is not registered and this request may not create it: any request when ANOLE_AUTO_CREATE_SITES=false, and reads of the admin API (GET /api/sites/{site}/...) always.' },
  last_admin_key: { status: 409, summary: 'DELETE /api/keys/{id} of the last active admin key: create another admin key first.' },
  quota_exceeded: { status: 409, summary: 'A quota is full (active keys, registry entries or map bytes of a site); the message names it and how to free it.' },
  rate_limited: { status: 429, summary: 'A rate limit is reached (the message names it); Retry-After says when to try again. Defaults no normal client meets (docs/security.md).' },
  method_not_allowed: { status: 405, summary: 'The route exists but not for this HTTP method.' },
  request_timeout: { status: 408, summary: 'The request was not received in time; the connection is closed.' },
  body_too_large: { status: 413, summary: 'The body exceeds the limit: ANOLE_BODY_LIMIT_BYTES (3 MB by default) for /visit/events, 1 MB for /map/maps and /visit/forget; 1 GiB for imports (counted as received); a gzip or deflate body is measured once decoded.' },
  invalid_import: { status: 400, summary: 'An import cannot start: an option is malformed, or the file\'s header lacks a column the import needs (identity, goal) or names one twice.' },
  too_many_events: { status: 413, summary: 'The body holds more events than one request may carry (100,000).' },
  map_too_large: { status: 413, summary: 'A key\'s map would exceed 1 MB of JSON once merged; nothing was written.' },
  too_many_visitors: { status: 413, summary: 'POST /visit/forget names more than 10,000 visitor codes.' },
  headers_too_large: { status: 431, summary: 'The request line and headers exceed 16 KiB; the connection is closed.' },
  unsupported_media_type: { status: 415, summary: 'The body cannot be read as sent: a Content-Encoding other than gzip, deflate or none, or a charset other than UTF-8, US-ASCII or ISO-8859-1.' },
  shutting_down: { status: 503, summary: 'The server is stopping and no longer accepts requests.' },
  internal: { status: 500, summary: 'An unexpected failure; nothing was acknowledged.' },

  // Event-level verdicts (a rejected line or JSON item).
  invalid_event: { status: 400, summary: 'A JSON item is not an object.' },
  missing_event_type: { status: 400, summary: 'The event has no eventType.' },
  unknown_event_type: { status: 400, summary: 'The eventType is not one Anole knows (matched case-insensitively).' },
  missing_nonce: { status: 400, summary: 'The event has no nonce.' },
  invalid_nonce: { status: 400, summary: 'The nonce is not 16 hexadecimal characters.' },
  missing_identity: { status: 400, summary: 'Neither the event nor the query gives a visitorCode or mappingValue.' },
  invalid_identity: { status: 400, summary: 'The visitorCode or mappingValue is empty, too long (over 255 characters) or contains control characters.' },
  missing_field: { status: 400, summary: 'A field the event type requires is absent.' },
  invalid_field: { status: 400, summary: 'A field has the wrong type, is out of range or too long.' },
  time_out_of_range: { status: 400, summary: 'The event time is older than the late-event horizon or too far in the future.' },
  line_too_long: { status: 400, summary: 'A line exceeds 64 KiB.' },
  unknown_field: { status: 400, summary: 'strict=true and the event has a field its type does not read (without strict=true it is ignored with a warning in the verdicts).' },
  identity_event_limit: {
    status: 413,
    summary: 'The event\'s identity (visitor code or mapping value) already holds the most events one identity may hold (ANOLE_MAX_EVENTS_PER_IDENTITY, 100,000 by default); the event was not stored.',
  },
  string_value: { status: 400, summary: 'strict=true and, in JSON, a number or boolean is sent as a string ("revenue":"10.50"); without strict=true it is read as the number or boolean with a warning in the verdicts.' },

  // Import row verdicts (a rejected row of an imported file; the event-level codes above apply too).
  invalid_row: { status: 400, summary: 'An imported row cannot be read: a CSV row of another width than its header, a line that is not a JSON object or over 64 KiB, or a file unreadable past that row.' },
  invalid_time: { status: 400, summary: 'An imported row\'s time is not ISO 8601, epoch seconds or milliseconds, or of the form --time-format names.' },
  nonexistent_time: { status: 400, summary: 'An imported row\'s local time does not exist in the import\'s time zone (the hour skipped when clocks go forward).' },
  ambiguous_identity: { status: 400, summary: 'An imported row gives both a visitor code and a user id (mapping value); a row is one identity\'s event.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type EventRejectionCode =
  | 'invalid_event'
  | 'missing_event_type'
  | 'unknown_event_type'
  | 'missing_nonce'
  | 'invalid_nonce'
  | 'missing_identity'
  | 'invalid_identity'
  | 'missing_field'
  | 'invalid_field'
  | 'time_out_of_range'
  | 'line_too_long'
  | 'unknown_field'
  | 'identity_event_limit'
  | 'string_value';

/** Why an imported row was rejected: an event's reasons, or the file's. */
export type ImportRowCode = EventRejectionCode | 'invalid_row' | 'invalid_time' | 'nonexistent_time' | 'ambiguous_identity';

/** An error a use-case reports on purpose; anything else thrown is a bug or an outage (500). */
export class AnoleError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AnoleError';
    this.code = code;
    this.details = details;
  }
}
