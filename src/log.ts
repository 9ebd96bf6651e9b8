import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The one logger of a process: JSON lines on stdout, `"level":"info"` spelled out, for the HTTP
 * server (fastify logs through it), the start-up banner, the worker, shutdown and start-up
 * failures alike. Writes are synchronous so that a line logged just before exit is not lost.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
