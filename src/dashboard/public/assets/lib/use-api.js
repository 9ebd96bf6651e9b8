import { api } from './api.js';
import { useEffect, useState, useCallback } from './html.js';

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
    api(path, { signal: controller.signal }).then(
      (data) => setState({ loading: false, data, error: null, path }),
      (error) => {
        if (error.name !== 'AbortError') setState({ loading: false, data: null, error, path });
      },
    );
    return () => controller.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
