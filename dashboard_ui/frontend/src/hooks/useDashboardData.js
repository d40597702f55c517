import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { computeRange, toApiTime } from '../lib/timeRange.js';
import { filterParams } from '../lib/urlState.js';
import { usePageVisible } from './usePageVisible.js';

const EMPTY = {
  data: null,
  options: null,
  error: null,
  loading: true,
  refreshing: false,
  updatedAt: null,
  attemptedAt: null,
  range: null,
};

/**
 * Loads /metrics/aggregate (or /realtime for the last hour) and /metrics/filters
 * for the view, refreshes ranges of a day or less on a timer while the page is
 * visible, and tells the caller when the session is gone.
 */
export function useDashboardData(view, { onSessionExpired }) {
  const [result, setResult] = useState(EMPTY);
  const controllerRef = useRef(null);
  const visible = usePageVisible();
  const key = JSON.stringify([view.range, view.start, view.end, view.filters]);

  const load = useCallback(
    async ({ background = false } = {}) => {
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
      setResult((previous) =>
        background ? { ...previous, refreshing: true } : { ...EMPTY, options: previous.options, loading: true },
      );
      const params = {
        start_time: toApiTime(range.start),
        end_time: toApiTime(range.end),
        ...filterParams(view.filters),
      };
      const metrics = range.realtime
        ? api.realtime(params, controller.signal)
        : api.aggregate({ ...params, interval: range.interval }, controller.signal);
      const [metricsResult, optionsResult] = await Promise.allSettled([
        metrics,
        api.filters(params, controller.signal),
      ]);
      if (controller.signal.aborted) return;
      const options = optionsResult.status === 'fulfilled' ? optionsResult.value : null;

      if (metricsResult.status === 'rejected') {
        const error = metricsResult.reason;
        if (error?.isAuthError) {
          // 401/403 may be an expired session or a missing permission: ask who we are.
          try {
            await api.whoami();
          } catch (whoError) {
            if (whoError?.isAuthError) {
              onSessionExpired();
              return;
            }
          }
        }
        setResult((previous) => ({
          ...previous,
          options: options ?? previous.options,
          loading: false,
          refreshing: false,
          attemptedAt: new Date(),
          error: error?.message ?? 'Could not load metrics.',
        }));
        return;
      }
      setResult({
        data: metricsResult.value,
        options,
        error: null,
        loading: false,
        refreshing: false,
        updatedAt: new Date(),
        attemptedAt: new Date(),
        range,
      });
    },
    // `key` stands for the view's range and filters: sort, log scale and theme need no reload.
    [key, onSessionExpired],
  );

  useEffect(() => {
    load();
    return () => controllerRef.current?.abort();
  }, [load]);

  const refreshMs = computeRange(view)?.refreshMs ?? null;
  const attemptedAt = result.attemptedAt;
  useEffect(() => {
    if (!refreshMs || !visible || !attemptedAt) return undefined;
    // Coming back to a tab whose data is older than one period: refresh now.
    const age = Date.now() - attemptedAt.getTime();
    const timer = setTimeout(() => load({ background: true }), Math.max(0, refreshMs - age));
    return () => clearTimeout(timer);
  }, [refreshMs, visible, attemptedAt, load]);

  const retry = useCallback(() => load(), [load]);
  const refresh = useCallback(() => load({ background: true }), [load]);
  return { ...result, retry, refresh, refreshMs };
}
