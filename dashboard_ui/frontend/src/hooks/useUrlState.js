import { useCallback, useEffect, useRef, useState } from 'react';
import { parseUrlState, serializeUrlState } from '../lib/urlState.js';

function currentState() {
  return parseUrlState(window.location.search);
}

/**
 * The view state, read from and written to the query string. A change pushes a
 * history entry (so Back undoes a filter) unless `{ replace: true }` is given.
 */
export function useUrlState() {
  const [state, setState] = useState(currentState);
  const stateRef = useRef(state);

  useEffect(() => {
    const onPop = () => {
      stateRef.current = currentState();
      setState(stateRef.current);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const update = useCallback((change, { replace = false } = {}) => {
    const previous = stateRef.current;
    const next = typeof change === 'function' ? change(previous) : { ...previous, ...change };
    const query = serializeUrlState(next);
    const { pathname, search, hash } = window.location;
    const url = `${pathname}${query ? `?${query}` : ''}${hash}`;
    if (url !== `${pathname}${search}${hash}`) {
      window.history[replace ? 'replaceState' : 'pushState'](null, '', url);
    }
    stateRef.current = parseUrlState(query);
    setState(stateRef.current);
  }, []);

  return [state, update];
}
