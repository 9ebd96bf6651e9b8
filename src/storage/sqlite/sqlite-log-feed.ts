import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { LoggedKey } from './sqlite-event-keys.ts';

/**
 * The writer tells the reading threads of the same store which log rows each commit added: four
 * numbers a row (site, identity hash, seq, time), the very entries a reader's tail copy holds. A
 * reader that would otherwise read every new row back from the log (about 5 µs an event on each
 * reading thread, the cost of following the log during a fill) adds them from here instead.
 *
 * The feed only saves work: a reader still reads the log itself at the start of every event read,
 * inside that read's transaction, for the rows no message has brought yet (a message may arrive after
 * the read that needs it), and whenever a message's first row does not follow the last row it knows.
 */
export const LOG_FEED_FIELDS = 4;

function channelName(file: string): string {
  return `anole-sqlite-log:${path.resolve(file)}`;
}

export interface LogFeedWriter {
  /** After a commit: the rows it added, in seq order. */
  published(keys: readonly LoggedKey[]): void;
  close(): void;
}

export function openLogFeedWriter(file: string): LogFeedWriter {
  const channel = new BroadcastChannel(channelName(file));
  channel.unref();
  return {
    published(keys) {
      if (keys.length === 0) return;
      const entries = new Float64Array(keys.length * LOG_FEED_FIELDS);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        entries[k * LOG_FEED_FIELDS] = key.siteId;
        entries[k * LOG_FEED_FIELDS + 1] = key.vkey;
        entries[k * LOG_FEED_FIELDS + 2] = key.seq;
        entries[k * LOG_FEED_FIELDS + 3] = key.time;
      }
      channel.postMessage(entries);
    },
    close() {
      channel.close();
    },
  };
}

/**
 * Calls `onEntries` with each commit's rows as the writer published them: row k is
 * (site, identity hash, seq, time) at entries[4k … 4k+3], in seq order. close() stops.
 */
export function followLogFeed(file: string, onEntries: (entries: Float64Array) => void): { close(): void } {
  const channel = new BroadcastChannel(channelName(file));
  channel.unref();
  channel.onmessage = (message) => {
    const entries = (message as { data: unknown }).data;
    if (entries instanceof Float64Array && entries.length % LOG_FEED_FIELDS === 0) onEntries(entries);
  };
  return {
    close() {
      channel.close();
    },
  };
}
