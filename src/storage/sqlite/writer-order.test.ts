import { describe, expect, it } from 'vitest';
import { takeAppends, takeCall, type Queued } from './writer-order.ts';

type Item = Queued<string> & { name: string };
const append = (endpoint: string, events: number, name = `${endpoint}+${events}`): Item => ({ endpoint, appendEvents: events, name });
const call = (endpoint: string, name: string): Item => ({ endpoint, appendEvents: null, name });
const names = (items: readonly Item[]) => items.map((item) => item.name);

/** The writer's loop (sqlite-writer-thread.ts) without the store: the order things are served in. */
function serve(queue: Item[], maxEvents: number): string[][] {
  const steps: string[][] = [];
  while (queue.length > 0) {
    const appends = takeAppends(queue, maxEvents);
    if (appends.length > 0) steps.push(names(appends));
    const next = takeCall(queue);
    if (next) steps.push([next.name]);
  }
  return steps;
}

describe('the writer serves appends first, each thread in its own order', () => {
  it('commits appends that arrived behind other threads’ calls before those calls, one call between transactions', () => {
    const queue = [call('worker', 'claim'), call('worker', 'replace'), append('http', 1, 'a1'), call('other', 'version'), append('http', 1, 'a2')];
    expect(serve(queue, 100)).toEqual([['a1', 'a2'], ['claim'], ['replace'], ['version']]);
  });

  it('never lets an append overtake an earlier call of its own thread', () => {
    const queue = [append('http', 1, 'a1'), call('http', 'forget'), append('http', 1, 'a2'), append('import', 5, 'b1'), call('worker', 'claim')];
    expect(serve(queue, 100)).toEqual([['a1', 'b1'], ['forget'], ['a2'], ['claim']]);
  });

  it('never lets a call overtake an earlier append of its own thread left for the next transaction', () => {
    const queue = [append('http', 60, 'a1'), append('import', 60, 'b1'), call('import', 'after-b1'), call('worker', 'claim')];
    expect(serve(queue, 100)).toEqual([['a1'], ['claim'], ['b1'], ['after-b1']]);
  });

  it('fills a transaction up to the limit in arrival order, and takes a first append bigger than the limit alone', () => {
    const queue = [append('a', 150, 'big'), append('b', 40, 'b1'), append('c', 40, 'c1'), append('d', 40, 'd1')];
    expect(takeAppends(queue, 100).map((item) => item.name)).toEqual(['big']);
    expect(takeAppends(queue, 100).map((item) => item.name)).toEqual(['b1', 'c1']);
    expect(names(queue)).toEqual(['d1']);
  });

  it('leaves the queue alone when no append may go, and answers null when no call may', () => {
    const queue = [call('w', 'claim'), append('w', 3, 'held')];
    expect(takeAppends(queue, 100)).toEqual([]);
    expect(names(queue)).toEqual(['claim', 'held']);
    const appendsOnly = [append('a', 1), append('b', 1)];
    expect(takeCall(appendsOnly)).toBeNull();
    expect(appendsOnly).toHaveLength(2);
  });
});
