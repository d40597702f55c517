import { describe, expect, it } from 'vitest';
import {
  RANGES,
  computeRange,
  fromLocalInputValue,
  intervalFor,
  intervalMinutes,
  toApiTime,
  toLocalInputValue,
} from './timeRange.js';

const NOW = new Date('2026-11-28T07:00:00Z');

function span(key) {
  const range = computeRange({ range: key }, NOW);
  return { ...range, hours: (range.end - range.start) / 3_600_000 };
}

describe('computeRange for presets', () => {
  it('offers the ranges the original dashboard had', () => {
    expect(RANGES.map((r) => r.key)).toEqual(['1h', '6h', '24h', '7d', '30d', '3m', '6m', '1y']);
  });

  it('ends every preset now', () => {
    for (const { key } of RANGES) expect(computeRange({ range: key }, NOW).end.toISOString()).toBe(NOW.toISOString());
  });

  it('computes hour and day ranges exactly', () => {
    expect(span('1h').hours).toBe(1);
    expect(span('6h').hours).toBe(6);
    expect(span('24h').hours).toBe(24);
    expect(span('7d').hours).toBe(168);
    expect(span('30d').hours).toBe(720);
  });

  it('counts months as calendar months in UTC', () => {
    expect(toApiTime(computeRange({ range: '3m' }, NOW).start)).toBe('2026-08-28T07:00:00Z');
    expect(toApiTime(computeRange({ range: '6m' }, NOW).start)).toBe('2026-05-28T07:00:00Z');
    expect(toApiTime(computeRange({ range: '1y' }, NOW).start)).toBe('2025-11-28T07:00:00Z');
  });

  it('uses the realtime endpoint and a 30 s refresh only for the last hour', () => {
    expect(span('1h')).toMatchObject({ realtime: true, refreshMs: 30_000, interval: undefined });
    expect(span('6h')).toMatchObject({ realtime: false, refreshMs: 60_000 });
    expect(span('24h')).toMatchObject({ realtime: false, refreshMs: 60_000 });
    expect(span('7d').refreshMs).toBeNull();
  });

  it('lets the server pick the interval up to a month and asks for days beyond', () => {
    expect(span('6h').interval).toBeUndefined();
    expect(span('30d').interval).toBeUndefined();
    expect(span('3m').interval).toBe('1day');
    expect(span('1y').interval).toBe('1day');
  });
});

describe('computeRange for a custom range', () => {
  it('uses the given bounds and does not refresh', () => {
    const range = computeRange({ range: 'custom', start: '2026-11-01T00:00:00Z', end: '2026-11-02T12:00:00Z' }, NOW);
    expect(toApiTime(range.start)).toBe('2026-11-01T00:00:00Z');
    expect(toApiTime(range.end)).toBe('2026-11-02T12:00:00Z');
    expect(range).toMatchObject({ realtime: false, refreshMs: null, interval: undefined, preset: null });
  });

  it('asks for daily buckets when the custom range is longer than a month', () => {
    const range = computeRange({ range: 'custom', start: '2026-01-01T00:00:00Z', end: '2026-06-01T00:00:00Z' }, NOW);
    expect(range.interval).toBe('1day');
  });

  it('rejects missing, unparsable or reversed bounds', () => {
    expect(computeRange({ range: 'custom', start: null, end: '2026-11-02T00:00:00Z' }, NOW)).toBeNull();
    expect(computeRange({ range: 'custom', start: 'nope', end: '2026-11-02T00:00:00Z' }, NOW)).toBeNull();
    expect(
      computeRange({ range: 'custom', start: '2026-11-02T00:00:00Z', end: '2026-11-01T00:00:00Z' }, NOW),
    ).toBeNull();
  });
});

describe('time helpers', () => {
  it('formats API times in UTC without milliseconds', () => {
    expect(toApiTime(new Date('2026-11-28T07:00:00.123Z'))).toBe('2026-11-28T07:00:00Z');
  });

  it('round-trips datetime-local input values in local time', () => {
    const date = new Date(2026, 10, 28, 7, 5);
    expect(toLocalInputValue(date)).toBe('2026-11-28T07:05');
    expect(fromLocalInputValue('2026-11-28T07:05').getTime()).toBe(date.getTime());
    expect(fromLocalInputValue('')).toBeNull();
    expect(fromLocalInputValue('28/11/2026')).toBeNull();
  });

  it('knows bucket lengths in minutes', () => {
    expect(intervalMinutes('1min')).toBe(1);
    expect(intervalMinutes('5min')).toBe(5);
    expect(intervalMinutes('1hour')).toBe(60);
    expect(intervalMinutes('1day')).toBe(1440);
    expect(intervalMinutes('weird')).toBeNull();
  });

  it('picks daily buckets only past 31 days', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(intervalFor(start, new Date('2026-02-01T00:00:00Z'))).toBeUndefined();
    expect(intervalFor(start, new Date('2026-02-01T00:00:01Z'))).toBe('1day');
  });
});
