// Keeps a page's data fresh: loads it, then again every few seconds while the tab is visible.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const EVERY_MS = 2000;

/** `{ data, error, reload }` of `load()`, reloaded every 2 s and whenever `deps` change. */
export function usePoll(load, deps) {
  const [state, setState] = useState({});
  const latest = useRef(0);
  const reload = useCallback(() => {
    const call = ++latest.current;
    // Only the latest call's answer is shown: an older one may arrive after a newer one.
    return load().then(
      (data) => call === latest.current && setState({ data }),
      (error) => call === latest.current && setState((s) => ({ data: s.data, error })),
    );
  }, deps);
  useEffect(() => {
    reload();
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), EVERY_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return { ...state, reload };
}
