import { api } from './api.js';
import { useEffect, useState, useCallback } from './html.js';

/** Answers asked for before their page was loaded (see prefetch), each taken once. */
const prefetched = new Map();
const PREFETCH_FRESH_MS = 10_000;

/**
 * Sends a page's first request while the page's module is still loading, so that the two overlap
 * instead of following each other. The page's useApi of the same path takes the answer.
 */
export function prefetch(path) {
  const promise = api(path);
  promise.catch(() => undefined); // the page's useApi reports the error
  prefetched.clear(); // one page loads at a time: an answer it never took is dropped
  prefetched.set(path, { at: Date.now(), promise });
}

function takePrefetched(path) {
  const entry = prefetched.get(path);
  prefetched.delete(path);
  return entry && Date.now() - entry.at < PREFETCH_FRESH_MS ? entry.promise : null;
}

/**
 * Loads an API path and re-loads when it changes; an older answer never overwrites a newer one.
 * `path` null means "nothing to load yet".
 */
export function useApi(path) {
  const [state, setState] = useState({ loading: path !== null, data: null, error: null, path });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) {
      setState({ loading: false, data: null, error: null, path });
      return undefined;
    }
    const controller = new AbortController();
    setState((s) => ({ loading: true, data: s.path === path ? s.data : null, error: null, path }));
    // A reload (generation > 0) always asks again.
    const pending = (generation === 0 ? takePrefetched(path) : null) ?? api(path, { signal: controller.signal });
    pending.then(
      (data) => {
        if (!controller.signal.aborted) setState({ loading: false, data, error: null, path });
      },
      (error) => {
        if (error.name !== 'AbortError' && !controller.signal.aborted) setState({ loading: false, data: null, error, path });
      },
    );
    return () => controller.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
