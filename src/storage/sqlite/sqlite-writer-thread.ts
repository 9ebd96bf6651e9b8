/**
 * The SQLite writer thread: owns the store's only write connection (sqlite-store.ts) and answers
 * every write of every thread. Appends that arrive while a transaction is being written are
 * coalesced into the next one (up to `maxCommitEvents`), so one fsync acknowledges them all; they
 * go before other calls that arrived earlier from other threads, each thread's own order kept
 * (writer-order.ts).
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { answer, serializeError, type RpcHandlers, type RpcRequest } from '../../threads/rpc.ts';
import { threadData } from '../../threads/spawn-thread.ts';
import { appendColumns, emptyColumns, type EventColumns } from '../event-columns.ts';
import { openSqliteStore, type SqliteOptions } from './sqlite-store.ts';
import { takeAppends, takeCall, type Queued } from './writer-order.ts';

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

/** Every port calls arrive on: the spawner's, then each thread's that connected. */
const endpoints: Endpoint[] = [port];

const handlers: RpcHandlers = {
  ...(store as unknown as RpcHandlers),
  connect: (client: MessagePort) => {
    endpoints.push(client);
    client.on('message', (request: RpcRequest) => enqueue(client, request));
    client.once('close', () => endpoints.splice(endpoints.indexOf(client), 1));
  },
};

interface Call extends Queued<Endpoint> {
  request: RpcRequest;
}

const queue: Call[] = [];
let scheduled = false;

/**
 * A flush stops looking for newly arrived calls after this long and lets the event loop turn (the
 * key merges' steps run between turns); what is left is served at the next turn.
 */
const FLUSH_SLICE_MS = 10;

function enqueue(endpoint: Endpoint, request: RpcRequest): void {
  const appendEvents = request.method === 'appendColumns' ? (request.args[0] as EventColumns).site.length : null;
  queue.push({ endpoint, request, appendEvents });
  if (!scheduled) {
    scheduled = true;
    // Every message already delivered joins this turn's work: they arrived during the last commit.
    setImmediate(flush);
  }
}

/** Takes in the calls that arrived during the last step, without waiting for the event loop. */
function pullArrived(): void {
  for (const endpoint of endpoints) {
    for (let received = receiveMessageOnPort(endpoint); received; received = receiveMessageOnPort(endpoint)) {
      enqueue(endpoint, received.message as RpcRequest);
    }
  }
}

/** Appends first (writer-order.ts): one transaction of appends, one other call, and again. */
function flush(): void {
  const started = performance.now();
  while (queue.length > 0) {
    commit(takeAppends(queue, maxCommitEvents));
    const call = takeCall(queue);
    // An answer that is a promise (the store's async methods) is posted once this turn's
    // microtasks run: end the turn for it.
    if (call && !answer(call.endpoint, handlers, call.request)) break;
    if (performance.now() - started >= FLUSH_SLICE_MS) break;
    pullArrived();
  }
  // `scheduled` stayed set while this ran, so calls pulled in did not schedule a flush of their own.
  scheduled = queue.length > 0;
  if (scheduled) setImmediate(flush);
}

/** One transaction for every append taken, one fsync acknowledging them all. */
function commit(appends: Call[]): void {
  if (appends.length === 0) return;
  const batch: { endpoint: Endpoint; id: number; from: number; to: number }[] = [];
  let columns: EventColumns | null = null;
  let size = 0;
  for (const { endpoint, request, appendEvents } of appends) {
    const more = request.args[0] as EventColumns;
    batch.push({ endpoint, id: request.id, from: size, to: size + appendEvents! });
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
    size += appendEvents!;
  }
  try {
    const verdicts = store.appendColumns(columns!);
    for (const { endpoint, id, from, to } of batch) endpoint.postMessage({ id, value: verdicts.slice(from, to) });
  } catch (error) {
    const serialized = serializeError(error);
    for (const { endpoint, id } of batch) endpoint.postMessage({ id, error: serialized });
  }
}

port.on('message', (request: RpcRequest) => enqueue(port, request));
port.postMessage({ kind: 'ready' });
