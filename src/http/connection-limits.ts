import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long a client may take, and how many connections it may hold (docs/security.md). */
export interface ConnectionLimits {
  /** The whole request, headers and body: a body trickled slower than this gets 408 and is closed. */
  requestTimeoutMs: number;
  /** The request line and headers. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** A connection on which nothing moves, in any state. */
  idleTimeoutMs: number;
  /** Open connections of the whole process; more are closed as they arrive. */
  maxConnections: number;
  /** Open connections of one client address; more are closed as they arrive. */
  maxConnectionsPerAddress: number;
}

/** The fastify (and Node http) options that carry the timeouts. */
export function timeoutOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks both timeouts on this interval; a tenth of the shortest keeps the bound tight.
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10) },
  };
}

/**
 * Connection caps: a client that opens thousands of sockets (slowloris) meets its per-address cap
 * long before the process runs out of descriptors, so others, and /health, are still served.
 */
export function limitConnections(server: Server, limits: ConnectionLimits, onRefused: (reason: 'total' | 'address') => void): void {
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => onRefused('total'));
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const open = (perAddress.get(address) ?? 0) + 1;
    if (open > limits.maxConnectionsPerAddress) {
      onRefused('address');
      socket.destroy();
      return;
    }
    perAddress.set(address, open);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
}
