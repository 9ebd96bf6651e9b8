/**
 * The SQLite writer thread: owns the store's only write connection (sqlite-store.ts) and answers
 * every write of every thread. Appends that arrive while a transaction is being written are
 * coalesced into the next one (up to `maxCommitEvents`), so one fsync acknowledges them all;
 * other calls run in arrival order between transactions.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { answer, serializeError, type RpcHandlers, type RpcRequest } from '../../threads/rpc.ts';
import { threadData } from '../../threads/spawn-thread.ts';
import { appendColumns, emptyColumns, type EventColumns } from '../event-columns.ts';
import { openSqliteStore, type SqliteOptions } from './sqlite-store.ts';

export interface WriterThreadData {
  options: SqliteOptions;
  maxCommitEvents: number;
}

type Endpoint = MessagePort | NonNullable<typeof parentPort>;

const { options, maxCommitEvents } = threadData<WriterThreadData>();
const port = parentPort!;

let store: ReturnType<typeof openSqliteStore>;
try {
  store = openSqliteStore(options);
} catch (error) {
  port.postMessage({ kind: 'failed', error: serializeError(error) });
  process.exit(1);
}

const handlers: RpcHandlers = {
  ...(store as unknown as RpcHandlers),
  connect: (client: MessagePort) => {
    client.on('message', (request: RpcRequest) => enqueue(client, request));
  },
};

const queue: { endpoint: Endpoint; request: RpcRequest }[] = [];
let scheduled = false;

function enqueue(endpoint: Endpoint, request: RpcRequest): void {
  queue.push({ endpoint, request });
  if (!scheduled) {
    scheduled = true;
    // Every message already delivered joins this turn's work: they arrived during the last commit.
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  const items = queue.splice(0);
  for (let i = 0; i < items.length; ) {
    if (items[i]!.request.method !== 'appendColumns') {
      const { endpoint, request } = items[i]!;
      void answer(endpoint, handlers, request);
      i += 1;
      continue;
    }
    const batch: { endpoint: Endpoint; id: number; from: number; to: number }[] = [];
    let columns: EventColumns | null = null;
    let size = 0;
    while (i < items.length && items[i]!.request.method === 'appendColumns') {
      const { endpoint, request } = items[i]!;
      const more = request.args[0] as EventColumns;
      if (batch.length > 0 && size + more.site.length > maxCommitEvents) break;
      batch.push({ endpoint, id: request.id, from: size, to: size + more.site.length });
      // A transaction of one request writes that request's columns as they came; more are copied into one.
      if (columns === null) columns = more;
      else {
        if (batch.length === 2) {
          const first = columns;
          columns = emptyColumns();
          appendColumns(columns, first);
        }
        appendColumns(columns, more);
      }
      size += more.site.length;
      i += 1;
    }
    try {
      const verdicts = store.appendColumns(columns!);
      for (const { endpoint, id, from, to } of batch) endpoint.postMessage({ id, value: verdicts.slice(from, to) });
    } catch (error) {
      const serialized = serializeError(error);
      for (const { endpoint, id } of batch) endpoint.postMessage({ id, error: serialized });
    }
  }
}

port.on('message', (request: RpcRequest) => enqueue(port, request));
port.postMessage({ kind: 'ready' });
