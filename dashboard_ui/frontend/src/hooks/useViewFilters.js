import { useCallback } from 'react';
import { FILTER_KEYS } from '../lib/urlState.js';

/** Set one filter of the view, or clear them all (each a history entry, so Back undoes it). */
export function useViewFilters(setView) {
  const setFilter = useCallback(
    (key, value) => setView((v) => ({ ...v, filters: { ...v.filters, [key]: value ?? '' } })),
    [setView],
  );
  const clearFilters = useCallback(
    () => setView((v) => ({ ...v, filters: Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])) })),
    [setView],
  );
  return { setFilter, clearFilters };
}
