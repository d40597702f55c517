// Health status from the thresholds that /api/v1/auth/test returns, under the original Malti's names:
// a value up to a *_success_threshold is healthy, up to a *_warning_threshold a warning, above it critical.

export const DEFAULT_THRESHOLDS = {
  error_rate_success_threshold: 5,
  error_rate_warning_threshold: 10,
  latency_success_threshold: 500,
  latency_warning_threshold: 1000,
};

const RANK = { healthy: 0, warning: 1, critical: 2 };

/** Colours "above the threshold", as the original dashboard does: a value equal to a threshold is not above it. */
export function level(value, success, warning) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'healthy';
  if (warning != null && value > warning) return 'critical';
  if (success != null && value > success) return 'warning';
  return 'healthy';
}

/**
 * "healthy" | "warning" | "critical" for a summary, service or endpoint row (its error_rate in percent
 * and avg_latency in ms): the worse of the two. Returns null when there were no requests.
 */
export function healthStatus({ total_requests, error_rate, avg_latency }, thresholds = DEFAULT_THRESHOLDS) {
  if (!total_requests) return null;
  const t = { ...DEFAULT_THRESHOLDS, ...(thresholds ?? {}) };
  const byErrors = level(error_rate, t.error_rate_success_threshold, t.error_rate_warning_threshold);
  const byLatency = level(avg_latency, t.latency_success_threshold, t.latency_warning_threshold);
  return RANK[byErrors] >= RANK[byLatency] ? byErrors : byLatency;
}

export const STATUS_LABEL = { healthy: 'Healthy', warning: 'Degraded', critical: 'Critical' };
export const STATUS_COLOR = { healthy: 'success', warning: 'warning', critical: 'error' };

/** "2xx".."5xx" for an HTTP status code (1xx and oddities grouped as "other"). */
export function statusClass(status) {
  const n = Number(status);
  if (n >= 200 && n < 600) return `${Math.floor(n / 100)}xx`;
  return 'other';
}

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'other'];

/**
 * status_distribution (one object per service, with status_breakdown: code → requests) →
 * [{service, total_requests, classes: {"2xx": n, ...}, codes: [{status, total_requests}]}],
 * services by total_requests descending, codes ascending.
 */
export function groupStatusDistribution(rows) {
  return (rows ?? [])
    .map((row) => {
      const classes = Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0]));
      const codes = Object.entries(row.status_breakdown ?? {})
        .map(([status, total_requests]) => ({ status: Number(status), total_requests: Number(total_requests) || 0 }))
        .sort((a, b) => a.status - b.status);
      for (const code of codes) classes[statusClass(code.status)] += code.total_requests;
      return { service: row.service ?? '', total_requests: Number(row.total_requests) || 0, classes, codes };
    })
    .sort((a, b) => b.total_requests - a.total_requests || a.service.localeCompare(b.service));
}
