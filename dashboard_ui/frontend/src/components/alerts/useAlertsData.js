import { useCallback, useEffect, useRef, useState } from 'react';
import { listOf } from '../../lib/alerts.js';
import { alertsApi, api } from '../../lib/api.js';

const REFRESH_MS = 30_000;

/**
 * Everything the Alerts page lists: rules, firing alerts, channels, service mutes and the
 * services to choose from. Reloads every 30 s (evaluation runs each minute) and on demand.
 */
export function useAlertsData({ onSessionExpired }) {
  const [state, setState] = useState({ loading: true, error: null, data: null, updatedAt: null });
  const controllerRef = useRef(null);

  const load = useCallback(async () => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    const { signal } = controller;
    const [rules, firing, channels, silences, services] = await Promise.allSettled([
      alertsApi.rules(signal),
      alertsApi.firing(signal),
      alertsApi.channels(signal),
      alertsApi.silences(signal),
      api.services(signal),
    ]);
    if (signal.aborted) return;
    if (rules.status === 'rejected') {
      const error = rules.reason;
      if (error?.status === 401) {
        onSessionExpired?.();
        return;
      }
      setState((previous) => ({ ...previous, loading: false, error: error?.message ?? 'Could not load alerts.' }));
      return;
    }
    const value = (result, key) => (result.status === 'fulfilled' ? listOf(result.value, key) : []);
    setState({
      loading: false,
      error: null,
      updatedAt: new Date(),
      data: {
        rules: value(rules, 'rules'),
        firing: value(firing, 'alerts'),
        channels: value(channels, 'channels'),
        silences: value(silences, 'silences'),
        services: value(services, 'services'),
      },
    });
  }, [onSessionExpired]);

  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      controllerRef.current?.abort();
    };
  }, [load]);

  return { ...state, reload: load };
}
