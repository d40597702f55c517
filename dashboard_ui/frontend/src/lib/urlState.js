// The dashboard's whole view state lives in the query string so that a link
// reproduces the view: range (or custom start/end), filters, log scale, sort, theme.

import { CUSTOM_RANGE, DEFAULT_RANGE, isPresetRange, toApiTime } from './timeRange.js';

export const FILTER_KEYS = ['service', 'node', 'endpoint', 'method', 'consumer', 'context'];
export const SORT_FIELDS = [
  'service',
  'endpoint',
  'method',
  'total_requests',
  'avg_latency',
  'p95_latency',
  'error_count',
  'error_rate',
];
export const DEFAULT_SORT = { field: 'total_requests', desc: true };

function emptyFilters() {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, '']));
}

export function defaultState() {
  return {
    range: DEFAULT_RANGE,
    start: null,
    end: null,
    filters: emptyFilters(),
    log: false,
    sort: { ...DEFAULT_SORT },
    theme: null,
  };
}

function parseTime(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : toApiTime(date);
}

function parseSort(value) {
  if (!value) return { ...DEFAULT_SORT };
  const desc = value.startsWith('-');
  const field = desc ? value.slice(1) : value;
  return SORT_FIELDS.includes(field) ? { field, desc } : { ...DEFAULT_SORT };
}

/** Query string (with or without "?") → normalised state; unknown or bad values fall back to defaults. */
export function parseUrlState(search) {
  const params = new URLSearchParams(search);
  const state = defaultState();

  const range = params.get('range');
  if (range === CUSTOM_RANGE) {
    const start = parseTime(params.get('start'));
    const end = parseTime(params.get('end'));
    if (start && end && start < end) {
      state.range = CUSTOM_RANGE;
      state.start = start;
      state.end = end;
    }
  } else if (range && isPresetRange(range)) {
    state.range = range;
  }

  for (const key of FILTER_KEYS) {
    state.filters[key] = (params.get(key) ?? '').trim();
  }
  const log = params.get('log');
  state.log = log === '1' || log === 'true';
  state.sort = parseSort(params.get('sort'));
  const theme = params.get('theme');
  state.theme = theme === 'light' || theme === 'dark' ? theme : null;
  return state;
}

/** State → query string without "?", in a stable order, defaults left out. */
export function serializeUrlState(state) {
  const params = new URLSearchParams();
  if (state.range === CUSTOM_RANGE && state.start && state.end) {
    params.set('range', CUSTOM_RANGE);
    params.set('start', state.start);
    params.set('end', state.end);
  } else if (state.range && state.range !== DEFAULT_RANGE && isPresetRange(state.range)) {
    params.set('range', state.range);
  }
  for (const key of FILTER_KEYS) {
    const value = state.filters?.[key];
    if (value) params.set(key, value);
  }
  if (state.log) params.set('log', '1');
  const sort = state.sort ?? DEFAULT_SORT;
  if (sort.field !== DEFAULT_SORT.field || sort.desc !== DEFAULT_SORT.desc) {
    params.set('sort', `${sort.desc ? '-' : ''}${sort.field}`);
  }
  if (state.theme) params.set('theme', state.theme);
  return params.toString();
}

/** The filters as API query parameters (empty ones left out). */
export function filterParams(filters) {
  const params = {};
  for (const key of FILTER_KEYS) {
    if (filters?.[key]) params[key] = filters[key];
  }
  return params;
}
