import { useEffect, useState } from 'react';
import { firingOnly } from '../lib/alerts.js';
import { alertsApi } from '../lib/api.js';

/**
 * The alerts firing now (GET /alerts/firing, pending ones left out), worst first; asked again whenever `refreshedAt`
 * changes. null until known, or when the API cannot tell (the status panel then says nothing).
 */
export function useFiringAlerts(refreshedAt) {
  const [alerts, setAlerts] = useState(null);
  const refreshKey = refreshedAt?.getTime?.() ?? null;

  useEffect(() => {
    const controller = new AbortController();
    alertsApi
      .firing(controller.signal)
      .then((body) => setAlerts(firingOnly(body?.alerts ?? [])))
      .catch(() => {
        if (!controller.signal.aborted) setAlerts(null);
      });
    return () => controller.abort();
  }, [refreshKey]);

  return alerts;
}
