import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AnoleError, ERROR_CODES, type ErrorCode } from '../core/error-codes.ts';
import type { Metrics } from './metrics.ts';

/**
 * Requests that Node's HTTP parser refuses never reach fastify's routes or error handler: the server
 * gets a `clientError` with the socket. They are answered here in the same `{"message","code"}`
 * contract as every other error, with `Connection: close`, since after a parse error the rest of
 * the byte stream cannot be trusted to start a new request.
 */

/** Node's and llhttp's codes for what the parser refused, mapped onto the registry. */
function codeOf(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') return 'request_timeout';
  return 'malformed_request';
}

function messageOf(code: ErrorCode, error: NodeJS.ErrnoException & { reason?: string }): string {
  if (code === 'headers_too_large') return 'the request line and headers exceed the server\'s limit (16 KiB); the connection is closed';
  if (code === 'request_timeout') return 'the request was not received in time; the connection is closed';
  // llhttp's reason names the defect ("Invalid method encountered", "Content-Length can't be present with Transfer-Encoding").
  const reason = typeof error.reason === 'string' ? error.reason : error.message;
  return `the HTTP request is malformed (${error.code ?? 'parse error'}: ${reason}); the connection is closed`;
}

/** The raw bytes of an error answer with `Connection: close`. */
export function rawErrorResponse(code: ErrorCode, message: string): string {
  const status = ERROR_CODES[code].status;
  const body = JSON.stringify({ message, code });
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** fastify's `clientErrorHandler`: answer in the contract (when nothing else is being written), then close. */
export function createClientErrorHandler(metrics: Metrics): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code = codeOf(error);
    metrics.recordRejectedRequest(code);
    // Like Node itself: never write into a response already under way on this socket.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.end(rawErrorResponse(code, messageOf(code, error)), () => socket.destroy());
    } else {
      socket.destroy();
    }
  };
}

/**
 * HTTP/1.1 requires Host (RFC 9112 §3.2). Node answers its absence itself with an empty 400, so
 * the server is created with `requireHostHeader: false` and this onRequest hook answers it instead.
 */
export function installHostCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      void reply.header('Connection', 'close');
      throw new AnoleError('malformed_request', 'an HTTP/1.1 request needs a Host header (RFC 9112 §3.2); the connection is closed');
    }
  });
}
