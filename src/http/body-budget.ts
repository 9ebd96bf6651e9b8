import type { FastifyInstance, FastifyReply } from 'fastify';
import { hasBody } from './body-encoding.ts';

/**
 * A budget of bytes held in memory by requests at once: request bodies while they are read,
 * parsed and stored, and the large answers of GET /map/maps while they are built. A body in memory
 * costs about 17 times its size while it is parsed and validated (a 3 MB line body, 38k events:
 * 50 MB of heap), and the connection cap alone would let thousands of them arrive together. A
 * request that does not fit waits before its body is read, so its client is slowed by TCP itself
 * (nothing of it is buffered here) until earlier requests are done; the request timeout still
 * bounds the wait.
 */
export interface BodyBudgetOptions {
  /** Bytes reserved at once. */
  bytes: number;
  /** The most one request is counted for: a body streamed in chunks (an import) holds no more. */
  maxRequestBytes: number;
}

export interface MemoryBudget {
  /** Bytes reserved now, and requests waiting for a reservation. */
  readonly used: number;
  readonly waiting: number;
  /** Waits for room for `bytes` (at most the whole budget), held until this reply's connection is done with it. */
  reserveFor(reply: FastifyReply, bytes: number): Promise<void>;
}

const nothing = () => undefined;

/**
 * One request's reservation: granted at once or when its turn in the queue comes. A class rather
 * than closures made per request (docs/architecture.md, Threads: tsx names each one it creates).
 */
class Reservation {
  granted = false;
  /** Resolves the request's wait for its turn. */
  waiting: () => void = nothing;
  constructor(readonly weight: number) {}

  grant(): void {
    this.granted = true;
    this.waiting();
  }

  /** Ends the wait without a grant (the connection closed first). */
  wake(): void {
    this.waiting();
  }
}

export function installBodyBudget(app: FastifyInstance, options: BodyBudgetOptions): MemoryBudget {
  let used = 0;
  const queue: Reservation[] = [];
  // First come, first served: a large request is not starved by a stream of small ones.
  const serve = () => {
    while (queue.length > 0 && used + queue[0]!.weight <= options.bytes) {
      const next = queue.shift()!;
      used += next.weight;
      next.grant();
    }
  };

  async function reserveFor(reply: FastifyReply, bytes: number): Promise<void> {
    const weight = Math.min(options.bytes, bytes);
    if (weight <= 0 || reply.request.raw.destroyed) return;
    const entry = new Reservation(weight);
    reply.raw.once('close', () => {
      const at = queue.indexOf(entry);
      // Closed while waiting: the request goes on and fails as aborted when it reads or answers.
      if (at !== -1) {
        queue.splice(at, 1);
        entry.wake();
      }
      if (entry.granted) {
        used -= weight;
        serve();
      }
    });
    if (queue.length === 0 && used + weight <= options.bytes) {
      used += weight;
      entry.granted = true;
      return;
    }
    await new Promise<void>((resolve) => {
      entry.waiting = resolve;
      queue.push(entry);
    });
  }

  // Registered before the decoding hook: a waiting body is not even inflated.
  app.addHook('preParsing', async (request, reply, payload) => {
    if (!hasBody(request)) return payload;
    const declared = Number(request.headers['content-length']);
    const known = Number.isFinite(declared) && request.headers['content-encoding'] === undefined ? declared : Infinity;
    const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? options.maxRequestBytes;
    await reserveFor(reply, Math.min(options.maxRequestBytes, limit, known));
    return payload;
  });

  return {
    get used() {
      return used;
    },
    get waiting() {
      return queue.length;
    },
    reserveFor,
  };
}
