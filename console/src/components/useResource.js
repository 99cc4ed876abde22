// Data a page shows, loaded from the API: {data, error, loading, reload}. Every resource on
// screen reloads when the connection banner's "try again" is pressed, and, with `poll`
// (milliseconds), on its own while the page is visible.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const reloaders = new Set();

/** Reload every resource on screen (the banner's retry). */
export function reloadAll() {
  reloaders.forEach((reload) => reload());
}

export function useResource(load, deps = [], { poll } = {}) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async ({ quiet = false } = {}) => {
    const mine = ++generation.current;
    if (!quiet) setState((before) => ({ ...before, loading: true }));
    try {
      const data = await loadRef.current();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((before) => ({ data: quiet ? before.data : undefined, error, loading: false }));
    }
  }, []);

  useEffect(() => {
    reload();
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const quietReload = () => reload({ quiet: true });
    reloaders.add(quietReload);
    if (!poll) return () => reloaders.delete(quietReload);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') quietReload();
    }, poll);
    return () => {
      reloaders.delete(quietReload);
      clearInterval(timer);
    };
  }, [reload, poll]);

  const setData = useCallback((update) => setState((before) => ({ ...before, data: typeof update === 'function' ? update(before.data) : update })), []);
  return { ...state, reload, setData };
}
