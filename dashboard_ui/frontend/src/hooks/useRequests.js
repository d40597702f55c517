import { useCallback, useEffect, useRef, useState } from 'react';
import { api, apiFetch } from '../lib/api.js';
import { mergePages, requestParams } from '../lib/explorer.js';
import { computeRange } from '../lib/timeRange.js';
import { filterParams } from '../lib/urlState.js';

const EMPTY = {
  answer: null,
  params: null,
  error: null,
  loading: true,
  loadingMore: false,
  updatedAt: null,
};

/** A 401/403 may be an expired session or a missing permission: true when the session is gone. */
async function sessionGone(error) {
  if (!error?.isAuthError) return false;
  try {
    await api.whoami();
    return false;
  } catch (whoError) {
    return Boolean(whoError?.isAuthError);
  }
}

/**
 * Loads the explorer view's first page of GET /api/v1/requests (and the filter bar's options),
 * and the next pages on demand with the answer's cursor. Every page is read with the first
 * page's parameters, so a range that ends "now" does not move between pages.
 */
export function useRequests(view, { onSessionExpired }) {
  const [result, setResult] = useState(EMPTY);
  const [options, setOptions] = useState(null);
  const resultRef = useRef(result);
  resultRef.current = result;
  const controllerRef = useRef(null);
  const key = JSON.stringify([view.range, view.start, view.end, view.filters, view.explorer]);

  const failed = useCallback(
    async (error, controller) => {
      if (await sessionGone(error)) {
        onSessionExpired();
        return;
      }
      if (controller.signal.aborted) return;
      setResult((previous) => ({
        ...previous,
        loading: false,
        loadingMore: false,
        error: error?.message ?? 'Could not load the requests.',
      }));
    },
    [onSessionExpired],
  );

  const load = useCallback(
    async () => {
      controllerRef.current?.abort();
      const controller = new AbortController();
      controllerRef.current = controller;
      const range = computeRange(view);
      if (!range) {
        setResult({
          ...EMPTY,
          loading: false,
          error: 'The custom range is not valid: the start must be before the end.',
        });
        return;
      }
      const params = requestParams(view, range);
      setResult({ ...EMPTY, params });
      const filterQuery = { start_time: params.start_time, end_time: params.end_time, ...filterParams(view.filters) };
      api
        .filters(filterQuery, controller.signal)
        .then(setOptions)
        // The filter bar keeps its current values without options.
        .catch(() => {});
      try {
        const answer = await apiFetch('/requests', { params, signal: controller.signal });
        if (controller.signal.aborted) return;
        setResult({ ...EMPTY, answer, params, loading: false, updatedAt: new Date() });
      } catch (error) {
        if (error?.name !== 'AbortError') await failed(error, controller);
      }
    },
    // `key` stands for the view's range and filters; the page, log scale and theme need no reload.
    [key, failed],
  );

  useEffect(() => {
    load();
    return () => controllerRef.current?.abort();
  }, [load]);

  const loadMore = useCallback(async () => {
    const { answer, params, loadingMore } = resultRef.current;
    if (!answer?.next_cursor || loadingMore) return;
    const controller = controllerRef.current;
    setResult((previous) => ({ ...previous, loadingMore: true, error: null }));
    try {
      const next = await apiFetch('/requests', {
        params: { ...params, cursor: answer.next_cursor },
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      setResult((previous) => ({ ...previous, answer: mergePages(previous.answer, next), loadingMore: false }));
    } catch (error) {
      if (error?.name !== 'AbortError') await failed(error, controller);
    }
  }, [failed]);

  return { ...result, options, reload: load, loadMore };
}
