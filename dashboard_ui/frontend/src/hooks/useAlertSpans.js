import { useEffect, useState } from 'react';
import { alertsApi } from '../lib/api.js';
import { toApiTime } from '../lib/timeRange.js';

/**
 * The alert spans (GET /alerts/events) over the range the charts show, for the service
 * filter; asked again whenever `refreshedAt` changes (the charts' data was reloaded).
 * The spans are a marking on the charts: without them (no permission, no alerts app) the
 * charts show none rather than an error.
 */
export function useAlertSpans(range, service, refreshedAt) {
  const [spans, setSpans] = useState([]);
  const start = range?.start ? toApiTime(range.start) : null;
  const end = range?.end ? toApiTime(range.end) : null;
  const refreshKey = refreshedAt?.getTime?.() ?? null;

  useEffect(() => {
    if (!start || !end) return undefined;
    const controller = new AbortController();
    alertsApi
      .events({ start_time: start, end_time: end, service: service || undefined }, controller.signal)
      .then((body) => setSpans(body?.spans ?? []))
      .catch(() => {
        if (!controller.signal.aborted) setSpans([]);
      });
    return () => controller.abort();
  }, [start, end, service, refreshKey]);

  return spans;
}
