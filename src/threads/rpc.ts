import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { AnoleError, type ErrorCode } from '../core/error-codes.ts';

/**
 * Calls between threads: a request names a method and its arguments, the reply carries its value or
 * its error. Arguments and values are copied by the structured clone, so callers that send many
 * events use flat columns (see storage/event-columns.ts) rather than object graphs.
 */
export interface RpcRequest {
  id: number;
  method: string;
  args: unknown[];
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Set for an AnoleError, so that the caller's error handler maps it as if it were thrown there. */
  code?: ErrorCode;
  details?: unknown;
}

type RpcReply = { id: number; value: unknown } | { id: number; error: SerializedError };

type Endpoint = MessagePort | Worker;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof AnoleError) return { name: error.name, message: error.message, stack: error.stack, code: error.code, details: error.details };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

export function deserializeError(error: SerializedError): Error {
  const out = error.code ? new AnoleError(error.code, error.message, error.details) : new Error(error.message);
  out.name = error.name;
  if (error.stack) out.stack = error.stack;
  return out;
}

export interface RpcClient {
  call<T>(method: string, args: unknown[], transfer?: readonly TransferListItem[]): Promise<T>;
  /** Calls waiting for an answer. */
  readonly pending: number;
  /** Rejects every call in flight and every later one (the other side is gone). */
  fail(error: Error): void;
}

export function rpcClient(endpoint: Endpoint): RpcClient {
  let next = 1;
  let failed: Error | null = null;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  endpoint.on('message', (reply: RpcReply) => {
    const call = waiting.get(reply.id);
    if (!call) return;
    waiting.delete(reply.id);
    if ('error' in reply) call.reject(deserializeError(reply.error));
    else call.resolve(reply.value);
  });
  return {
    call<T>(method: string, args: unknown[], transfer: readonly TransferListItem[] = []) {
      if (failed) return Promise.reject(failed);
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        const request: RpcRequest = { id, method, args };
        endpoint.postMessage(request, transfer as TransferListItem[]);
      });
    },
    get pending() {
      return waiting.size;
    },
    fail(error) {
      failed = error;
      for (const call of waiting.values()) call.reject(error);
      waiting.clear();
    },
  };
}

export type RpcHandlers = Record<string, (...args: never[]) => unknown>;

/**
 * Answers a request on `endpoint` with the handler of the same name: at once when the handler
 * returns a value (true), once it settles when it returns a promise (false; the SQLite writer
 * lets its microtasks run before it goes on).
 */
export function answer(endpoint: Endpoint, handlers: RpcHandlers, request: RpcRequest): boolean {
  const reply = (value: unknown) => endpoint.postMessage({ id: request.id, value } satisfies RpcReply);
  const fail = (error: unknown) => endpoint.postMessage({ id: request.id, error: serializeError(error) } satisfies RpcReply);
  try {
    const handler = handlers[request.method];
    if (!handler) throw new Error(`no method ${request.method} on this thread`);
    const value = (handler as (...args: unknown[]) => unknown)(...request.args);
    if (!(value instanceof Promise)) {
      reply(value);
      return true;
    }
    value.then(reply, fail);
  } catch (error) {
    fail(error);
  }
  return false;
}

/** Serves every request that arrives on `endpoint`, one handler call each. */
export function serveRpc(endpoint: Endpoint, handlers: RpcHandlers): void {
  endpoint.on('message', (request: RpcRequest) => answer(endpoint, handlers, request));
}
