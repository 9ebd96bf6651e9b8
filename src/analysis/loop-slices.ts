/**
 * A pause to await between pieces of long work on a thread's event loop: it gives the loop back
 * (setImmediate) once `sliceMs` have passed since it last did, and costs nothing otherwise, so that
 * RPC answers and writes in flight go on during a round without a yield per person.
 */
export function yieldEvery(sliceMs: number): () => Promise<void> {
  let sliceStarted = performance.now();
  return async () => {
    if (performance.now() - sliceStarted < sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    sliceStarted = performance.now();
  };
}
