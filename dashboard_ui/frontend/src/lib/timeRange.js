// Time ranges: the presets the dashboard offers and how a range becomes start/end.

export const RANGES = [
  { key: '1h', label: '1h', title: 'Last hour', hours: 1, realtime: true, refreshMs: 30_000 },
  { key: '6h', label: '6h', title: 'Last 6 hours', hours: 6, refreshMs: 60_000 },
  { key: '24h', label: '24h', title: 'Last 24 hours', hours: 24, refreshMs: 60_000 },
  { key: '7d', label: '7d', title: 'Last 7 days', days: 7 },
  { key: '30d', label: '30d', title: 'Last 30 days', days: 30 },
  { key: '3m', label: '3m', title: 'Last 3 months', months: 3, interval: '1day' },
  { key: '6m', label: '6m', title: 'Last 6 months', months: 6, interval: '1day' },
  { key: '1y', label: '1y', title: 'Last year', months: 12, interval: '1day' },
];

export const DEFAULT_RANGE = '24h';
export const CUSTOM_RANGE = 'custom';

const BY_KEY = new Map(RANGES.map((range) => [range.key, range]));

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function isPresetRange(key) {
  return BY_KEY.has(key);
}

export function getPreset(key) {
  return BY_KEY.get(key) ?? null;
}

/** The instant `preset` before `end` (months count calendar months, in UTC). */
function presetStart(preset, end) {
  if (preset.months) {
    const start = new Date(end.getTime());
    start.setUTCMonth(start.getUTCMonth() - preset.months);
    return start;
  }
  const ms = (preset.hours ?? 0) * HOUR + (preset.days ?? 0) * DAY;
  return new Date(end.getTime() - ms);
}

/**
 * Aggregation interval to ask for, or undefined to let the server choose
 * (≤1h → 1min, ≤24h → 5min, ≤31d → 1hour, longer → 1day). Ranges over 31 days ask for daily
 * buckets: a year of hourly buckets is 8,760 points, too many to draw.
 */
export function intervalFor(start, end) {
  return end.getTime() - start.getTime() > 31 * DAY ? '1day' : undefined;
}

/**
 * Turn the URL state's range into what a query needs:
 * { start, end, realtime, interval, refreshMs, preset }.
 * A preset ends at `now`; a custom range uses its own bounds (null when invalid).
 */
export function computeRange(state, now = new Date()) {
  const preset = getPreset(state.range);
  if (preset) {
    const end = new Date(now.getTime());
    const start = presetStart(preset, end);
    return {
      start,
      end,
      preset,
      realtime: Boolean(preset.realtime),
      interval: preset.realtime ? undefined : (preset.interval ?? intervalFor(start, end)),
      refreshMs: preset.refreshMs ?? null,
    };
  }
  const start = state.start ? new Date(state.start) : null;
  const end = state.end ? new Date(state.end) : null;
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
    return null;
  }
  return { start, end, preset: null, realtime: false, interval: intervalFor(start, end), refreshMs: null };
}

/** ISO 8601 in UTC without milliseconds, as the API documents: 2026-11-28T07:00:00Z. */
export function toApiTime(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Value for <input type="datetime-local"> (local time, minutes). */
export function toLocalInputValue(date) {
  if (!date || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** Parse <input type="datetime-local">'s value (local time) into a Date, or null. */
export function fromLocalInputValue(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value ?? '');
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s || 0);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Bucket length in minutes for an interval name ("5min" → 5), for requests/min per bucket. */
export function intervalMinutes(interval) {
  const match = /^(\d+)\s*(min|minute|minutes|hour|hours|day|days)$/.exec(interval ?? '');
  if (!match) return null;
  const n = Number(match[1]);
  if (match[2].startsWith('min')) return n;
  if (match[2].startsWith('hour')) return n * 60;
  return n * 1440;
}
