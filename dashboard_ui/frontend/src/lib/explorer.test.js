import { describe, expect, it } from 'vitest';
import {
  bucketRange,
  csvHref,
  describeSource,
  formatRecordTime,
  mergePages,
  openExplorer,
  pinnedQuery,
  requestParams,
} from './explorer.js';
import { defaultState, parseUrlState } from './urlState.js';

/** setView as useUrlState calls it: a function of the previous state. */
function applied(view, change) {
  let next = null;
  openExplorer((update) => {
    next = update(view);
  }, change);
  return next;
}

describe('openExplorer', () => {
  it("adds the clicked thing's filters to the view's and shows the explorer", () => {
    const view = { ...defaultState(), range: '6h', filters: { ...defaultState().filters, service: 'checkout' } };
    const next = applied(view, { filters: { method: 'GET', endpoint: '/api/orders' } });
    expect(next).toMatchObject({
      page: 'requests',
      range: '6h',
      filters: { service: 'checkout', method: 'GET', endpoint: '/api/orders', consumer: '' },
      explorer: { status: '', status_class: '', min_latency: '', sort: 'time' },
    });
  });

  it("sets a bucket's range and the explorer's own keys, leaving no earlier explorer filter behind", () => {
    const view = { ...defaultState(), explorer: { status: '', status_class: '', min_latency: '900', sort: 'latency' } };
    const next = applied(view, {
      explorer: { status: '503' },
      range: { start: '2026-12-02T01:05:00Z', end: '2026-12-02T01:10:00Z' },
    });
    expect(next).toMatchObject({
      range: 'custom',
      start: '2026-12-02T01:05:00Z',
      end: '2026-12-02T01:10:00Z',
      explorer: { status: '503', status_class: '', min_latency: '', sort: 'time' },
    });
  });
});

describe('bucketRange', () => {
  it('covers the bucket from its start to the next', () => {
    expect(bucketRange('2026-12-02T01:05:00Z', '5min')).toEqual({
      start: '2026-12-02T01:05:00Z',
      end: '2026-12-02T01:10:00Z',
    });
    expect(bucketRange('2026-12-02T00:00:00Z', '1day')).toEqual({
      start: '2026-12-02T00:00:00Z',
      end: '2026-12-03T00:00:00Z',
    });
    expect(bucketRange('2026-12-02T01:00:00+00:00', '1hour').end).toBe('2026-12-02T02:00:00Z');
  });

  it('cuts the first and last buckets to the range the chart was drawn for, as the query was sent', () => {
    const drawn = { start: new Date('2026-12-02T01:07:30.250Z'), end: new Date('2026-12-02T01:12:41.900Z') };
    expect(bucketRange('2026-12-02T01:05:00Z', '5min', drawn)).toEqual({
      start: '2026-12-02T01:07:30Z',
      end: '2026-12-02T01:10:00Z',
    });
    expect(bucketRange('2026-12-02T01:10:00Z', '5min', drawn)).toEqual({
      start: '2026-12-02T01:10:00Z',
      end: '2026-12-02T01:12:41Z',
    });
  });

  it('gives nothing for a bucket it cannot place', () => {
    expect(bucketRange('yesterday', '5min')).toBeNull();
    expect(bucketRange('2026-12-02T01:05:00Z', 'fortnightly')).toBeNull();
    const drawn = { start: new Date('2026-12-02T02:00:00Z'), end: new Date('2026-12-02T03:00:00Z') };
    expect(bucketRange('2026-12-02T01:05:00Z', '5min', drawn)).toBeNull();
  });
});

describe('requestParams', () => {
  const range = { start: new Date('2026-12-02T00:00:00.500Z'), end: new Date('2026-12-02T01:00:00Z') };

  it('sends the filters that are set, the sort and the page size', () => {
    const view = parseUrlState('page=requests&service=checkout&status_class=5xx&min_latency=250&sort=latency');
    expect(requestParams(view, range)).toEqual({
      start_time: '2026-12-02T00:00:00Z',
      end_time: '2026-12-02T01:00:00Z',
      service: 'checkout',
      status_class: '5xx',
      min_latency: '250',
      sort: 'latency',
      limit: '100',
    });
  });

  it('exports the same records as CSV from the first, a thousand at most', () => {
    const params = { ...requestParams(parseUrlState('page=requests&status=404'), range, 50), cursor: 'abc' };
    expect(csvHref(params, '/api/v1')).toBe(
      '/api/v1/requests?start_time=2026-12-02T00%3A00%3A00Z&end_time=2026-12-02T01%3A00%3A00Z' +
        '&status=404&sort=time&limit=1000&format=csv',
    );
  });
});

describe('pinnedQuery', () => {
  it('links to the explorer with the range the records were read for', () => {
    const view = parseUrlState('page=requests&range=1h&consumer=web-app&sort=latency');
    const query = pinnedQuery(view, { start_time: '2026-12-02T00:00:00Z', end_time: '2026-12-02T01:00:00Z' });
    expect(query).toBe(
      'page=requests&range=custom&start=2026-12-02T00%3A00%3A00Z&end=2026-12-02T01%3A00%3A00Z' +
        '&consumer=web-app&sort=latency',
    );
    const pinned = { range: 'custom', start: '2026-12-02T00:00:00Z', end: '2026-12-02T01:00:00Z' };
    expect(parseUrlState(query)).toEqual({ ...view, ...pinned });
  });
});

describe('mergePages', () => {
  const record = (n, source = 'raw') => ({ created_at: `2026-12-02T01:00:0${n}Z`, status: 200, source });

  it('appends the next page and moves the cursor on', () => {
    const first = { requests: [record(1)], next_cursor: 'a', source: 'raw', sampled: false, total: 3 };
    const second = { requests: [record(2), record(3)], next_cursor: null, source: 'raw', sampled: false, total: 3 };
    expect(mergePages(first, second)).toMatchObject({
      requests: [record(1), record(2), record(3)],
      next_cursor: null,
      source: 'raw',
      sampled: false,
      total: 3,
    });
  });

  it('stays marked as sampled once a page came from the sample', () => {
    const note = 'Every 5xx, every request slower than 800 ms and 1% of the rest.';
    const first = { requests: [record(1)], next_cursor: 'a', source: 'raw', sampled: false, sample_note: null };
    const second = {
      requests: [record(2, 'sample')],
      next_cursor: 'b',
      source: 'sample',
      sampled: true,
      sample_note: note,
    };
    const third = { requests: [], next_cursor: null, source: 'sample', sampled: false, sample_note: null };
    const merged = mergePages(mergePages(first, second), third);
    expect(merged).toMatchObject({ source: 'mixed', sampled: true, sample_note: note, next_cursor: null, total: null });
    expect(merged.requests).toHaveLength(2);
  });
});

describe('describeSource', () => {
  it('says where the records come from, and what the sample keeps', () => {
    const note = 'The sample keeps every 5xx, every request slower than 800 ms and 1% of the rest.';
    expect(describeSource({ source: 'raw', sample_note: null })).toBe(
      'From the raw records: every request in this range.',
    );
    expect(describeSource({ source: 'sample', sample_note: note })).toBe(
      `From the sample: the raw records of this range have expired. ${note}`,
    );
    expect(describeSource({ source: 'mixed', sample_note: note })).toContain(note);
    expect(describeSource({})).toBe('');
  });
});

describe('formatRecordTime', () => {
  it('shows a record to the millisecond', () => {
    expect(formatRecordTime('2026-12-02T01:02:03.456Z')).toMatch(/^\d{1,2} Dec(,| at)? \d\d:\d\d:\d\d\.456$/);
    expect(formatRecordTime('not a time')).toBe('not a time');
  });
});
