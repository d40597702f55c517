// The dashboard's whole view state lives in the query string so that a link
// reproduces the view: page, range (or custom start/end), filters, log scale, sort, theme,
// and on the request explorer its own filters and sort.

import { DEFAULT_PAGE, PAGES } from '../pages.js';
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

// The request explorer (page=requests): its keys are the API's parameters of the same names.
export const EXPLORER_PAGE = 'requests';
export const STATUS_CLASS_VALUES = ['2xx', '3xx', '4xx', '5xx', 'error'];
export const EXPLORER_SORTS = ['time', 'latency'];
export const DEFAULT_EXPLORER = { status: '', status_class: '', min_latency: '', sort: 'time' };

function emptyFilters() {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, '']));
}

export function defaultState() {
  return {
    page: DEFAULT_PAGE,
    range: DEFAULT_RANGE,
    start: null,
    end: null,
    filters: emptyFilters(),
    log: false,
    sort: { ...DEFAULT_SORT },
    theme: null,
    explorer: { ...DEFAULT_EXPLORER },
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

/** The explorer's keys; a value the API would refuse falls back to "no filter". */
function parseExplorer(params) {
  const status = (params.get('status') ?? '').trim();
  const statusClass = params.get('status_class') ?? '';
  const minLatency = (params.get('min_latency') ?? '').trim();
  const sort = params.get('sort') ?? '';
  return {
    status: /^[1-5]\d\d$/.test(status) ? status : '',
    status_class: STATUS_CLASS_VALUES.includes(statusClass) ? statusClass : '',
    min_latency: /^\d{1,9}$/.test(minLatency) ? String(Number(minLatency)) : '',
    sort: EXPLORER_SORTS.includes(sort) ? sort : DEFAULT_EXPLORER.sort,
  };
}

/** Query string (with or without "?") → normalised state; unknown or bad values fall back to defaults. */
export function parseUrlState(search) {
  const params = new URLSearchParams(search);
  const state = defaultState();
  const page = params.get('page');
  if (PAGES.some(({ key }) => key === page)) state.page = page;

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
  // `sort` is the explorer's on its page (time or latency), the endpoints table's elsewhere.
  if (state.page === EXPLORER_PAGE) state.explorer = parseExplorer(params);
  else state.sort = parseSort(params.get('sort'));
  const theme = params.get('theme');
  state.theme = theme === 'light' || theme === 'dark' ? theme : null;
  return state;
}

/** State → query string without "?", in a stable order, defaults left out. */
export function serializeUrlState(state) {
  const params = new URLSearchParams();
  const page = state.page ?? DEFAULT_PAGE;
  if (page !== DEFAULT_PAGE) params.set('page', page);
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
  if (page === EXPLORER_PAGE) {
    const explorer = { ...DEFAULT_EXPLORER, ...state.explorer };
    for (const key of ['status', 'status_class', 'min_latency']) {
      if (explorer[key] !== '' && explorer[key] != null) params.set(key, explorer[key]);
    }
    if (explorer.sort !== DEFAULT_EXPLORER.sort) params.set('sort', explorer.sort);
  } else {
    const sort = state.sort ?? DEFAULT_SORT;
    if (sort.field !== DEFAULT_SORT.field || sort.desc !== DEFAULT_SORT.desc) {
      params.set('sort', `${sort.desc ? '-' : ''}${sort.field}`);
    }
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
