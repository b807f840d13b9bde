// Keeps a page's data fresh: loads it, then again every few seconds while the tab is visible.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const EVERY_MS = 2000;

/**
 * `{ data, error, reload }` of `load()`, reloaded whenever `deps` change and then after `every(data)`
 * ms (2 s by default; `data` is undefined after an error), counted from the end of each load.
 */
export function usePoll(load, deps, every = () => EVERY_MS) {
  const [state, setState] = useState({});
  const latest = useRef(0);
  const reload = useCallback(() => {
    const call = ++latest.current;
    // Only the latest call's answer is shown: an older one may arrive after a newer one.
    return load().then(
      (data) => {
        if (call === latest.current) setState({ data });
        return data;
      },
      (error) => {
        if (call === latest.current) setState((s) => ({ data: s.data, error }));
      },
    );
  }, deps);
  useEffect(() => {
    let timer;
    let stopped = false;
    const tick = () =>
      (document.visibilityState === 'visible' ? reload() : Promise.resolve(undefined)).then((data) => {
        if (!stopped) timer = setTimeout(tick, data === undefined ? EVERY_MS : every(data));
      });
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [reload]);
  return { ...state, reload };
}
