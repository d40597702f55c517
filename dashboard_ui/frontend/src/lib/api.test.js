import { describe, expect, it } from 'vitest';
import { errorMessage, readCookie } from './api.js';
import { sortRows } from './sort.js';

describe('readCookie', () => {
  it('finds a cookie among others', () => {
    expect(readCookie('csrftoken', 'sessionid=abc; csrftoken=tok%3D1; theme=dark')).toBe('tok=1');
    expect(readCookie('csrftoken', 'sessionid=abc')).toBe('');
  });
});

describe('errorMessage', () => {
  it("uses DRF's detail", () => {
    expect(errorMessage(400, { detail: 'start_time must be before end_time' })).toBe(
      'start_time must be before end_time',
    );
  });
  it('joins field errors', () => {
    expect(errorMessage(400, { start_time: ['Enter a valid date/time.'], non_field_errors: ['Bad range.'] })).toBe(
      'start_time: Enter a valid date/time.; Bad range.',
    );
  });
  it('explains statuses without a body', () => {
    expect(errorMessage(0, null)).toMatch(/reach/);
    expect(errorMessage(429, null)).toMatch(/Too many requests/);
    expect(errorMessage(502, '<html>bad gateway</html>')).toMatch(/HTTP 502/);
  });
});

describe('sortRows', () => {
  const rows = [
    { endpoint: '/b', total_requests: 5, p95: null },
    { endpoint: '/a', total_requests: 10, p95: 3 },
    { endpoint: '/c', total_requests: 1, p95: 9 },
  ];
  it('sorts numbers and strings both ways', () => {
    expect(sortRows(rows, { field: 'total_requests', desc: true }).map((r) => r.endpoint)).toEqual(['/a', '/b', '/c']);
    expect(sortRows(rows, { field: 'endpoint', desc: false }).map((r) => r.endpoint)).toEqual(['/a', '/b', '/c']);
  });
  it('puts missing values last', () => {
    expect(sortRows(rows, { field: 'p95', desc: false }).map((r) => r.endpoint)).toEqual(['/a', '/c', '/b']);
    expect(sortRows(rows, { field: 'p95', desc: true }).map((r) => r.endpoint)).toEqual(['/c', '/a', '/b']);
  });
});
