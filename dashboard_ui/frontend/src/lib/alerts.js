// Alert rules, channels and events as the Alerts page shows and edits them, in the
// API's vocabulary (/api/v1/alerts/…, see the README's Alerts section).

import { formatDecimal, formatDuration, formatPercent, showValue } from './format.js';

/** Each metric a rule can watch: its label, the unit of its threshold and how a value reads. */
export const METRICS = [
  { key: 'error_rate', label: 'Error rate above', unit: '%', format: formatPercent },
  { key: 'server_error_rate', label: '5xx rate above', unit: '%', format: formatPercent },
  { key: 'p95_latency', label: 'p95 latency above', unit: 'ms', format: formatDuration },
  { key: 'p99_latency', label: 'p99 latency above', unit: 'ms', format: formatDuration },
  { key: 'request_rate_above', label: 'Request rate above', unit: 'req/min', format: perMinute },
  { key: 'request_rate_below', label: 'Request rate below', unit: 'req/min', format: perMinute },
  { key: 'apdex_below', label: 'Apdex below', unit: '', format: formatDecimal },
  // A dead service sends nothing: silence fires after the window passes without a request.
  { key: 'silence', label: 'Silence (no requests)', unit: null, format: formatDecimal },
  { key: 'burn_rate', label: 'Error budget burn rate above', unit: '×', format: (v) => `${formatDecimal(v)}×` },
];
const METRIC_BY_KEY = new Map(METRICS.map((metric) => [metric.key, metric]));

export const SEVERITIES = ['info', 'warning', 'critical'];
export const SEVERITY_COLOR = { info: 'info', warning: 'warning', critical: 'error' };
export const STATE_COLOR = { ok: 'success', pending: 'warning', firing: 'error' };
export const CHANNEL_KINDS = [
  { key: 'email', label: 'Email', target: 'Email addresses (comma-separated)' },
  { key: 'webhook', label: 'Webhook', target: 'URL (JSON POST, signed with HMAC-SHA256)' },
  { key: 'slack', label: 'Slack / Mattermost', target: 'Incoming webhook URL' },
];
export const SCOPE_KEYS = ['endpoint', 'method', 'consumer', 'node'];

function perMinute(value) {
  return `${formatDecimal(value)} req/min`;
}

export function metricOf(key) {
  return METRIC_BY_KEY.get(key) ?? { key, label: key, unit: '', format: formatDecimal };
}

/** A value of the rule's metric as text: "12.5%", "840 ms", "3 req/min". */
export function formatMetricValue(metricKey, value) {
  if (value === null || value === undefined) return '–';
  return metricOf(metricKey).format(value);
}

/** "checkout · GET /orders/{id} · consumer web · node n1", or "All services". */
export function describeScope(rule) {
  const parts = [rule.service ? showValue(rule.service) : 'All services'];
  const route = [rule.method, rule.endpoint ? showValue(rule.endpoint) : null].filter(Boolean).join(' ');
  if (route) parts.push(route);
  if (rule.consumer) parts.push(`consumer ${showValue(rule.consumer)}`);
  if (rule.node) parts.push(`node ${showValue(rule.node)}`);
  return parts.join(' · ');
}

/** "5xx rate above 10% over 1 min, for 0 min, at least 1 request"; silence: "no request for 5 min". */
export function describeCondition(rule) {
  const metric = metricOf(rule.metric);
  const window = `${rule.window_minutes} min`;
  if (rule.metric === 'silence') return `No request for ${window}${forText(rule)}`;
  const minimum = rule.min_requests
    ? `, at least ${rule.min_requests} request${rule.min_requests === 1 ? '' : 's'}`
    : '';
  return `${metric.label} ${metric.format(rule.threshold)} over ${window}${forText(rule)}${minimum}`;
}

function forText(rule) {
  return rule.for_minutes ? `, for ${rule.for_minutes} min` : '';
}

/** True while a rule's mute lasts. */
export function isMuted(rule, now = new Date()) {
  return Boolean(rule.muted_until) && new Date(rule.muted_until).getTime() > now.getTime();
}

export function emptyRuleForm(tenant = '') {
  return {
    tenant,
    name: '',
    metric: 'server_error_rate',
    service: '',
    endpoint: '',
    method: '',
    consumer: '',
    node: '',
    window_minutes: '5',
    threshold: '5',
    for_minutes: '0',
    min_requests: '10',
    severity: 'warning',
    channels: [],
    enabled: true,
  };
}

/** A rule from the API → the dialog's form (text fields hold strings, "" for "any"). */
export function ruleToForm(rule) {
  const text = (value) => (value === null || value === undefined ? '' : String(value));
  return {
    tenant: text(rule.tenant),
    name: text(rule.name),
    metric: rule.metric,
    service: text(rule.service),
    endpoint: text(rule.endpoint),
    method: text(rule.method),
    consumer: text(rule.consumer),
    node: text(rule.node),
    window_minutes: text(rule.window_minutes),
    threshold: text(rule.threshold),
    for_minutes: text(rule.for_minutes),
    min_requests: text(rule.min_requests),
    severity: rule.severity,
    channels: [...(rule.channels ?? [])],
    enabled: rule.enabled !== false,
  };
}

function number(value) {
  const text = String(value ?? '').trim();
  if (text === '') return NaN;
  return Number(text);
}

/** {field: "message"} for what the API would refuse; empty when the form is valid. */
export function validateRuleForm(form) {
  const errors = {};
  if (!form.name.trim()) errors.name = 'Give the rule a name.';
  if (!METRIC_BY_KEY.has(form.metric)) errors.metric = 'Choose a metric.';
  const window = number(form.window_minutes);
  if (!Number.isInteger(window) || window < 1 || window > 60) errors.window_minutes = 'A whole number from 1 to 60.';
  if (form.metric !== 'silence') {
    const threshold = number(form.threshold);
    if (!Number.isFinite(threshold) || threshold < 0) errors.threshold = 'A number, 0 or more.';
    else if (form.metric === 'apdex_below' && threshold > 1) errors.threshold = 'Apdex is between 0 and 1.';
  }
  const forMinutes = number(form.for_minutes);
  if (!Number.isInteger(forMinutes) || forMinutes < 0) errors.for_minutes = 'A whole number, 0 or more.';
  const minRequests = number(form.min_requests);
  if (!Number.isInteger(minRequests) || minRequests < 0) errors.min_requests = 'A whole number, 0 or more.';
  if (!SEVERITIES.includes(form.severity)) errors.severity = 'Choose a severity.';
  return errors;
}

/** The form → the JSON body of POST/PATCH /alerts/rules ("" scope fields become null: any). */
export function ruleFormToBody(form) {
  const orNull = (value) => (String(value ?? '').trim() === '' ? null : String(value).trim());
  const body = {
    name: form.name.trim(),
    metric: form.metric,
    service: orNull(form.service),
    endpoint: orNull(form.endpoint),
    method: orNull(form.method),
    consumer: orNull(form.consumer),
    node: orNull(form.node),
    window_minutes: number(form.window_minutes),
    // Silence has no threshold: its window is the silent time.
    threshold: form.metric === 'silence' ? 0 : number(form.threshold),
    for_minutes: number(form.for_minutes),
    min_requests: number(form.min_requests),
    severity: form.severity,
    channels: [...form.channels],
    enabled: Boolean(form.enabled),
  };
  if (form.tenant) body.tenant = form.tenant;
  return body;
}

export function emptyChannelForm(tenant = '') {
  return { tenant, name: '', kind: 'webhook', target: '', secret: '' };
}

export function channelToForm(channel) {
  return { tenant: channel.tenant ?? '', name: channel.name, kind: channel.kind, target: channel.target, secret: '' };
}

/**
 * The form → the body of POST/PATCH /alerts/channels. The secret is write-only: it is sent
 * only when typed, so editing a channel's name never erases the key it signs with.
 */
export function channelFormToBody(form) {
  const body = { name: form.name.trim(), kind: form.kind, target: form.target.trim() };
  if (form.secret) body.secret = form.secret;
  if (form.tenant) body.tenant = form.tenant;
  return body;
}

export function validateChannelForm(form) {
  const errors = {};
  if (!form.name.trim()) errors.name = 'Give the channel a name.';
  const target = form.target.trim();
  if (!target) errors.target = form.kind === 'email' ? 'At least one email address.' : 'The URL to post to.';
  else if (form.kind === 'email') {
    const bad = target
      .split(/[,;\s]+/)
      .filter(Boolean)
      .find((address) => !/^[^@\s]+@[^@\s]+$/.test(address));
    if (bad) errors.target = `Not an email address: ${bad}`;
  } else if (!/^https?:\/\/\S+$/i.test(target)) errors.target = 'An http:// or https:// URL.';
  return errors;
}

/**
 * Alert spans → areas on a chart whose x axis is the buckets' start times (ms, ascending).
 * Each span is snapped to the buckets it touches (a category axis can only place its own
 * values); an open span (end null) lasts until `now`; spans outside the buckets are left out.
 * An area narrower than one bucket is widened to the next, so it stays visible.
 */
export function spansToAreas(spans, bucketTimes, now = new Date()) {
  if (!bucketTimes?.length) return [];
  const first = bucketTimes[0];
  const last = bucketTimes[bucketTimes.length - 1];
  const step = bucketTimes.length > 1 ? bucketTimes[1] - bucketTimes[0] : 60_000;
  const bucketOf = (ms) => {
    // The last bucket starting at or before ms (binary search).
    let lo = 0;
    let hi = bucketTimes.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (bucketTimes[mid] <= ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const areas = [];
  for (const span of spans ?? []) {
    const start = Date.parse(span.start);
    const end = span.end ? Date.parse(span.end) : now.getTime();
    if (Number.isNaN(start) || Number.isNaN(end) || end < first || start >= last + step) continue;
    let from = bucketOf(Math.max(start, first));
    let to = bucketOf(Math.min(end, last));
    if (to === from) {
      if (to < bucketTimes.length - 1) to += 1;
      else if (from > 0) from -= 1;
    }
    areas.push({
      key: `${span.rule}-${span.start}`,
      rule: span.rule,
      name: span.name,
      service: span.service,
      severity: span.severity,
      start: span.start,
      end: span.end,
      x1: bucketTimes[from],
      x2: bucketTimes[to],
    });
  }
  return areas;
}

/** Alerts that fire or are pending (a rule for every service has one per service, or node): firing first, then
 * the worst (critical, warning, info), then the oldest. */
export function sortFiring(alerts) {
  const rank = (alert) => (alert.state === 'pending' ? 0 : 10) + SEVERITIES.indexOf(alert.severity);
  return [...(alerts ?? [])].sort((a, b) => rank(b) - rank(a) || Date.parse(a.since) - Date.parse(b.since));
}

/** The alerts that fire (not those still pending), worst first. */
export function firingOnly(alerts) {
  return sortFiring(alerts).filter((alert) => alert.state !== 'pending');
}

/** One alert of a rule: the rule, and the service (and node) it is about. */
export function alertKey(alert) {
  return [alert.rule, alert.service ?? '', alert.node ?? ''].join('/');
}

/**
 * Whether the user may change alerts of a tenant: a tenant admin. `roles` is auth/test's
 * {tenant: role} when the server tells it; without it (null), the page lets the user try
 * and the API's 403 says no.
 */
export function canEditTenant(user, tenant) {
  const roles = user?.roles;
  if (!roles || typeof roles !== 'object') return null;
  if (tenant) return roles[tenant] === 'admin';
  return Object.values(roles).some((role) => role === 'admin');
}

/** The message shown when a write is refused for want of the admin role. */
export const ADMIN_ONLY = "Only an admin of the service's tenant can change alerts and channels.";

/** The API's error as a sentence the Alerts page can show. */
export function alertsErrorText(error) {
  if (error?.status === 403) {
    const detail = error.body?.detail;
    return detail && !/credentials|CSRF/i.test(detail) ? `${ADMIN_ONLY} (${detail})` : ADMIN_ONLY;
  }
  return error?.message ?? 'Something went wrong.';
}

/** A time as "2 Dec 14:05" (same year) or "2 Dec 2025 14:05". */
export function formatWhen(iso, now = new Date()) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const options = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  if (date.getFullYear() !== now.getFullYear()) options.year = 'numeric';
  return new Intl.DateTimeFormat('en-GB', options).format(date);
}

/** Mute presets: now + hours, as an ISO time. */
export function muteUntil(hours, now = new Date()) {
  return new Date(now.getTime() + hours * 3_600_000).toISOString();
}

/** The list in an answer: {"<key>": [...]} as the alerts API answers, or a bare array. */
export function listOf(body, key) {
  if (Array.isArray(body)) return body;
  const list = body?.[key] ?? body?.results;
  return Array.isArray(list) ? list : [];
}
