// Health status from the thresholds that /api/v1/auth/test returns.

export const DEFAULT_THRESHOLDS = {
  error_rate_warning: 5,
  error_rate_critical: 10,
  latency_warning_ms: 500,
  latency_critical_ms: 1000,
};

const RANK = { healthy: 0, warning: 1, critical: 2 };

function level(value, warning, critical) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'healthy';
  if (critical != null && value >= critical) return 'critical';
  if (warning != null && value >= warning) return 'warning';
  return 'healthy';
}

/**
 * "healthy" | "warning" | "critical" for an error rate (percent) and an average
 * latency (ms): the worse of the two. Returns null when there were no requests.
 */
export function healthStatus({ count, errorRate, avgLatency }, thresholds = DEFAULT_THRESHOLDS) {
  if (!count) return null;
  const t = { ...DEFAULT_THRESHOLDS, ...(thresholds ?? {}) };
  const byErrors = level(errorRate, t.error_rate_warning, t.error_rate_critical);
  const byLatency = level(avgLatency, t.latency_warning_ms, t.latency_critical_ms);
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
 * status_distribution rows → [{service, total, classes: {"2xx": n, ...}, codes: [{status, count}]}],
 * services by total descending, codes ascending.
 */
export function groupStatusDistribution(rows) {
  const byService = new Map();
  for (const row of rows ?? []) {
    const name = row.service ?? '';
    if (!byService.has(name)) {
      byService.set(name, {
        service: name,
        total: 0,
        classes: Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0])),
        codes: new Map(),
      });
    }
    const entry = byService.get(name);
    const count = Number(row.count) || 0;
    entry.total += count;
    entry.classes[statusClass(row.status)] += count;
    entry.codes.set(row.status, (entry.codes.get(row.status) ?? 0) + count);
  }
  return [...byService.values()]
    .map((entry) => ({
      ...entry,
      codes: [...entry.codes.entries()]
        .map(([status, count]) => ({ status, count }))
        .sort((a, b) => Number(a.status) - Number(b.status)),
    }))
    .sort((a, b) => b.total - a.total || a.service.localeCompare(b.service));
}
