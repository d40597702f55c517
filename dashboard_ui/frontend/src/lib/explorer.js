// The request explorer's plain logic: how the dashboard opens it, which time range a chart
// bucket stands for, and a view's API parameters, CSV export and pinned link.

import { readConfig } from './config.js';
import { CUSTOM_RANGE, intervalMinutes, toApiTime } from './timeRange.js';
import { DEFAULT_EXPLORER, EXPLORER_PAGE, filterParams, serializeUrlState } from './urlState.js';

export const PAGE_SIZE = 100;
// The most records one answer (or one CSV file) holds: the API's largest page.
export const EXPORT_LIMIT = 1000;
const EXPLORER_FILTERS = ['status', 'status_class', 'min_latency'];

/**
 * Show the explorer for the current view plus `filters` (service, endpoint, ...), its own keys
 * (`explorer`: status, status_class, ...) and optionally a custom range { start, end } in API
 * times. It pushes one history entry, so Back returns to the dashboard as it was.
 */
export function openExplorer(setView, { filters = {}, explorer = {}, range = null } = {}) {
  setView((view) => ({
    ...view,
    page: EXPLORER_PAGE,
    filters: { ...view.filters, ...filters },
    explorer: { ...DEFAULT_EXPLORER, ...explorer },
    ...(range ? { range: CUSTOM_RANGE, start: range.start, end: range.end } : {}),
  }));
}

/** An instant as the API was sent it (whole seconds), so a bucket is cut where the query was. */
function asSent(date) {
  return new Date(toApiTime(date));
}

/**
 * The time range a chart bucket stands for, [bucket, bucket + interval), cut to the range the
 * chart was drawn for (`drawn`: { start, end } Dates; the first and last buckets may stick
 * out of it), in API times; null when the bucket or interval cannot be read.
 */
export function bucketRange(bucket, interval, drawn = null) {
  const minutes = intervalMinutes(interval);
  let start = new Date(bucket);
  if (!minutes || Number.isNaN(start.getTime())) return null;
  let end = new Date(start.getTime() + minutes * 60_000);
  if (drawn?.start && asSent(drawn.start) > start) start = asSent(drawn.start);
  if (drawn?.end && asSent(drawn.end) < end) end = asSent(drawn.end);
  return start < end ? { start: toApiTime(start), end: toApiTime(end) } : null;
}

/** The explorer view's query for GET /api/v1/requests over `range` ({ start, end } Dates). */
export function requestParams(view, range, limit = PAGE_SIZE) {
  const explorer = { ...DEFAULT_EXPLORER, ...view.explorer };
  const params = {
    start_time: toApiTime(range.start),
    end_time: toApiTime(range.end),
    ...filterParams(view.filters),
  };
  for (const key of EXPLORER_FILTERS) {
    if (explorer[key] !== '' && explorer[key] != null) params[key] = String(explorer[key]);
  }
  params.sort = explorer.sort;
  params.limit = String(limit);
  return params;
}

/** A link to the same records as CSV, from the first: the query with the largest page and format=csv. */
export function csvHref(params, apiBase = readConfig().apiBase) {
  const { limit: _limit, cursor: _cursor, ...rest } = params;
  return `${apiBase}/requests?${new URLSearchParams({ ...rest, limit: String(EXPORT_LIMIT), format: 'csv' })}`;
}

/**
 * The query string of a link to exactly the records shown: the view with its range pinned to
 * the start and end the results were read for ("the last hour" would move on).
 */
export function pinnedQuery(view, params) {
  return serializeUrlState({
    ...view,
    page: EXPLORER_PAGE,
    range: CUSTOM_RANGE,
    start: params.start_time,
    end: params.end_time,
  });
}

/**
 * The answer so far after one more page: its records appended, the new cursor, and where the
 * records come from as a whole (a raw page and a sample page make "mixed").
 */
export function mergePages(answer, next) {
  const source = answer.source === next.source || !answer.source ? next.source : 'mixed';
  return {
    ...answer,
    requests: [...(answer.requests ?? []), ...(next.requests ?? [])],
    next_cursor: next.next_cursor ?? null,
    source,
    sampled: Boolean(answer.sampled || next.sampled),
    sample_note: answer.sample_note ?? next.sample_note ?? null,
    total: answer.total ?? next.total ?? null,
  };
}

/** What the answer says about where its records come from, as a sentence for the page. */
export function describeSource({ source, sample_note: sampleNote } = {}) {
  const note = sampleNote ? ` ${sampleNote}` : '';
  if (source === 'sample') return `From the sample: the raw records of this range have expired.${note}`;
  if (source === 'mixed') return `From the raw records where they are still kept, and the sample before that.${note}`;
  if (source === 'raw') return 'From the raw records: every request in this range.';
  return '';
}

const recordTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hourCycle: 'h23',
});

/** A record's time in local time to the millisecond: "2 Dec, 01:02:03.456". */
export function formatRecordTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value ?? '') : recordTime.format(date);
}
