/**
 * The order in which the SQLite writer thread serves what it is asked (sqlite-writer-thread.ts).
 *
 * Appends go first: an acknowledgement waits for the fsync of its own transaction, and it should
 * not also wait behind every derived-state write (an attribution round's chunks take milliseconds
 * each) that happened to arrive before it. So each step of the writer commits every append that
 * may go now as one transaction, then serves one other call, then looks again. An append waits
 * for at most one other call, and an other call for at most one transaction of appends.
 *
 * What "may go now" keeps correct: calls from one endpoint (a thread) are served in the order that
 * endpoint sent them, so an append never overtakes an earlier call of its own thread. Calls of
 * different threads are independent (each thread awaits its own answers and learns nothing of
 * another's calls but through the store), so any order that keeps each thread's own is one the
 * threads could have sent.
 */

export interface Queued<E> {
  endpoint: E;
  /** Events in this append; null for any other call. */
  appendEvents: number | null;
}

/**
 * Removes from `queue` and returns the appends to commit now, in arrival order: each append with no
 * other call of its endpoint before it, until `maxEvents` would be passed (the first one is taken
 * whatever its size); once one does not fit, the rest wait for the next transaction.
 */
export function takeAppends<E, Q extends Queued<E>>(queue: Q[], maxEvents: number): Q[] {
  const taken: Q[] = [];
  const heldBack = new Set<E>();
  let events = 0;
  let i = 0;
  const kept: Q[] = [];
  for (; i < queue.length; i++) {
    const item = queue[i]!;
    const size = item.appendEvents;
    if (size === null || heldBack.has(item.endpoint)) {
      heldBack.add(item.endpoint);
      kept.push(item);
      continue;
    }
    if (taken.length > 0 && events + size > maxEvents) break;
    taken.push(item);
    events += size;
  }
  if (taken.length > 0) queue.splice(0, queue.length, ...kept, ...queue.slice(i));
  return taken;
}

/**
 * Removes from `queue` and returns the first other call that nothing of its own endpoint waits
 * before (an append left for the next transaction holds back its thread's later calls), or null.
 */
export function takeCall<E, Q extends Queued<E>>(queue: Q[]): Q | null {
  const heldBack = new Set<E>();
  for (let i = 0; i < queue.length; i++) {
    const item = queue[i]!;
    if (item.appendEvents === null && !heldBack.has(item.endpoint)) {
      queue.splice(i, 1);
      return item;
    }
    heldBack.add(item.endpoint);
  }
  return null;
}
