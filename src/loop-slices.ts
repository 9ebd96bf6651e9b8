/** A pause: a promise to await once the slice is up, else undefined. */
export type Pause = () => Promise<void> | undefined;

/**
 * A pause to await between pieces of long work on a thread's event loop: it gives the loop back
 * (setImmediate) once `sliceMs` have passed since it last did, so that RPC answers, messages and
 * writes in flight go on during the work without a yield per item. Before the slice is up it
 * answers undefined, so a hot loop pays a clock read per item, not an await:
 * `const turn = pause(); if (turn) await turn;` (awaiting the undefined is fine where that cost
 * does not matter).
 */
export function yieldEvery(sliceMs: number): Pause {
  let sliceStarted = performance.now();
  return () => {
    if (performance.now() - sliceStarted < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        sliceStarted = performance.now();
        resolve();
      }),
    );
  };
}
