import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort, type TransferListItem, type Worker } from 'node:worker_threads';
import { deserializeError, rpcClient, type RpcClient } from '../../threads/rpc.ts';
import { spawnThread } from '../../threads/spawn-thread.ts';
import { toEventColumns, VERDICT_NAMES } from '../event-columns.ts';
import { withStoredForm } from '../derived-rows.ts';
import type { PersonContributions, Storage } from '../port.ts';
import { openSqliteReader, type ReaderPart, type SqliteReader } from './sqlite-reader.ts';
import type { SqliteOptions } from './sqlite-store.ts';
import type { WriterThreadData } from './sqlite-writer-thread.ts';
import type { CheckpointThreadData } from './sqlite-checkpoint-thread.ts';

/** How often the checkpointer thread copies the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;

export type { SqliteOptions } from './sqlite-store.ts';

/** What another thread needs to open its own handle on the same store (attachSqliteStorage). */
export interface SqliteLink {
  file: string;
  cacheMb: number;
  writer: MessagePort;
}

export interface SqliteStorage extends Storage {
  /**
   * A link for another thread: its handle reads on a connection of its own and writes through this
   * store's writer thread. Pass `transfer` in the postMessage/workerData transfer list.
   */
  share(): Promise<{ link: SqliteLink; transfer: TransferListItem[] }>;
}

export interface ThreadedSqliteOptions extends SqliteOptions {
  /** Most events the writer puts in one transaction when it coalesces concurrent appends. */
  maxCommitEvents?: number;
  /** Page cache of each reading connection, in MiB (the OS caches the file for all of them). */
  readerCacheMb?: number;
  /** Called once if the writer thread dies; every call fails from then on. */
  onFatal?: (error: Error) => void;
}

type Method = Exclude<keyof Storage, 'engine' | 'commitLanes'>;

/**
 * Where each port method runs. `read`: on the calling thread's own read-only connection (point
 * reads of small tables, never the log). `events`: reads of the log, which need the unmerged tail;
 * a thread that keeps a copy of it (attached handles) answers them itself, the HTTP thread asks the
 * writer. `write`: always the writer thread, the only one that writes. A method added to the port
 * must be given a route here (the type says so).
 */
const ROUTES: Record<Method, 'read' | 'events' | 'write'> = {
  findSite: 'read',
  listSites: 'read',
  mapBytes: 'read',
  listApiKeys: 'read',
  siteById: 'read',
  listExperiments: 'read',
  lastExposures: 'read',
  missingRegistryEntries: 'read',
  siteUsage: 'read',
  getExperiment: 'read',
  listGoals: 'read',
  resultAggregates: 'read',
  personStates: 'read',
  dirtyBacklog: 'read',
  findApiKey: 'read',
  countApiKeys: 'read',
  getMaps: 'read',
  stats: 'read',
  linksOfVisitorCodes: 'read',
  linksOfMappingValues: 'read',
  eventsOf: 'events',
  eventsSince: 'events',
  eventPage: 'events',
  scanEvents: 'events',
  // Up to `scan` rows of one site: kept off the HTTP thread like the other log reads.
  latestEvents: 'events',
  alreadyStored: 'write',
  ensureSite: 'write',
  appendEvents: 'write',
  putMaps: 'write',
  purgeExpiredMaps: 'write',
  forgetVisitors: 'write',
  saveExperiment: 'write',
  saveGoal: 'write',
  registerSeen: 'write',
  updateSiteSettings: 'write',
  claimDirty: 'write',
  completeDirty: 'write',
  markAllDirty: 'write',
  claimSiteRecompute: 'write',
  advanceSiteRecompute: 'write',
  nextDerivedVersion: 'write',
  replacePersonsContributions: 'write',
  createApiKey: 'write',
  revokeApiKey: 'write',
  touchApiKeys: 'write',
  configureAdminKey: 'write',
  rehashApiKey: 'write',
  claimServerValue: 'write',
  ping: 'write',
  close: 'write',
};

/** A handle whose reads run on `reader` (awaited first) and whose other calls go to `writer`. */
function routed(writer: RpcClient, reader: () => Promise<ReaderPart>, local: ReadonlySet<string>): Storage {
  const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(ROUTES) as Method[]) {
    methods[name] = local.has(name)
      ? async (...args) => ((await reader())[name as keyof ReaderPart] as (...a: unknown[]) => Promise<unknown>)(...args)
      : (...args) => writer.call(name, args);
  }
  methods.appendEvents = async (events) => {
    const list = events as Parameters<Storage['appendEvents']>[0];
    if (list.length === 0) return [];
    const codes = await writer.call<Uint8Array>('appendColumns', [toEventColumns(list)]);
    return Array.from(codes, (code) => VERDICT_NAMES[code]!);
  };
  methods.replacePersonsContributions = (siteId, persons, options) =>
    writer.call('replacePersonsContributions', [siteId, withStoredForm(persons as PersonContributions[]), options]);
  // The writer coalesces the appends waiting for it into one transaction: several in flight keep
  // it busy while the HTTP thread prepares the next ones.
  return { engine: 'sqlite', commitLanes: 4, ...methods } as unknown as Storage;
}

const readsOf = (route: 'read' | 'events' | 'write', withEvents: boolean) =>
  new Set(Object.entries(ROUTES).filter(([, r]) => r === route || (withEvents && r === 'events' && route === 'read')).map(([name]) => name));

/**
 * The embedded store as the server uses it: a writer thread owns the only write connection (see
 * sqlite-writer-thread.ts) and this thread reads small tables on a read-only connection of its
 * own, so no SQLite statement that could take long ever runs on the calling (HTTP) thread. Calls
 * made before the writer is ready wait for it.
 */
export function openSqliteStorage(options: ThreadedSqliteOptions): SqliteStorage {
  fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  const { onFatal, readerCacheMb, maxCommitEvents, ...storeOptions } = options;
  const data: WriterThreadData = { options: storeOptions, maxCommitEvents: maxCommitEvents ?? 20_000 };
  const worker = spawnThread(new URL('./sqlite-writer-thread.ts', import.meta.url), data, { name: 'anole sqlite writer', loader: 'cjs' });
  const writer = rpcClient(worker);
  let closing = false;
  let reader: SqliteReader | null = null;
  let checkpointer: Worker | null = null;
  const ready = new Promise<ReaderPart>((resolve, reject) => {
    worker.on('message', (message: { kind?: string; error?: Parameters<typeof deserializeError>[0] }) => {
      if (message.kind === 'ready') {
        reader = openSqliteReader({ file: options.file, cacheMb: readerCacheMb ?? 32, events: false });
        // Checkpoints off the commit path (sqlite-checkpoint-thread.ts); a checkpointer that dies
        // leaves the writer's auto-checkpoint in charge, nothing else depends on it.
        const data: CheckpointThreadData = { file: options.file, intervalMs: CHECKPOINT_INTERVAL_MS };
        checkpointer = spawnThread(new URL('./sqlite-checkpoint-thread.ts', import.meta.url), data, { name: 'anole sqlite checkpointer', loader: 'cjs' });
        checkpointer.on('error', () => undefined);
        checkpointer.unref();
        resolve(reader.reads);
      } else if (message.kind === 'failed') reject(deserializeError(message.error!));
    });
  });
  ready.catch(() => undefined);
  const died = (error: Error) => {
    writer.fail(error);
    if (!closing) onFatal?.(error);
  };
  worker.on('error', died);
  worker.on('exit', (code) => died(new Error(`the SQLite writer thread exited (code ${code})`)));

  const handle = routed(writer, () => ready, readsOf('read', false));
  const waitReady = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A) => {
    await ready;
    return call(...args);
  };
  return {
    ...handle,
    appendEvents: waitReady(handle.appendEvents),
    ping: waitReady(handle.ping),
    async close() {
      if (closing) return;
      closing = true;
      try {
        await ready;
        reader?.close();
        await stopCheckpointer(checkpointer);
        await writer.call('close', []);
      } finally {
        await worker.terminate();
      }
    },
    async share() {
      await ready;
      const { port1, port2 } = new MessageChannel();
      await writer.call('connect', [port1], [port1]);
      return { link: { file: options.file, cacheMb: readerCacheMb ?? 32, writer: port2 }, transfer: [port2] };
    },
  };
}

/** Asks the checkpointer to close its connection, and waits until its thread is gone. */
async function stopCheckpointer(checkpointer: Worker | null): Promise<void> {
  if (!checkpointer) return;
  const exited = new Promise((resolve) => checkpointer.once('exit', resolve));
  checkpointer.postMessage('stop');
  // A thread still starting (loading its module) gets the message once it listens; past a second
  // it is stopped outright (a checkpoint cut short is redone by the next one).
  const timeout = setTimeout(() => void checkpointer.terminate(), 1000);
  await exited;
  clearTimeout(timeout);
}

/**
 * A handle on a store another thread opened (openSqliteStorage(...).share()): reads, event reads
 * included, on a read-only connection of this thread's own that follows the log; writes through
 * the writer thread. For threads that may block (attribution, heavy reads), never the HTTP thread.
 */
export function attachSqliteStorage(link: SqliteLink): Storage {
  const reader = openSqliteReader({ file: link.file, cacheMb: link.cacheMb, events: true });
  const writer = rpcClient(link.writer);
  link.writer.on('close', () => writer.fail(new Error('the SQLite writer is gone')));
  const handle = routed(writer, async () => reader.reads, readsOf('read', true));
  return {
    ...handle,
    async close() {
      reader.close();
      link.writer.close();
    },
  };
}
