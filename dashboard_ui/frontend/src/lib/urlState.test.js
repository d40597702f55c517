import { describe, expect, it } from 'vitest';
import { defaultState, filterParams, parseUrlState, serializeUrlState } from './urlState.js';

describe('parseUrlState', () => {
  it('gives the default view for an empty query string', () => {
    expect(parseUrlState('')).toEqual(defaultState());
    expect(defaultState()).toMatchObject({
      page: 'dashboard',
      range: '24h',
      log: false,
      theme: null,
      sort: { field: 'total_requests', desc: true },
    });
  });

  it('reads every part of the view', () => {
    const state = parseUrlState(
      '?range=7d&service=checkout&node=node-1&endpoint=%2Fapi%2Forders%2F%7Bid%7D&method=GET' +
        '&consumer=web-app&context=web&log=1&sort=-error_rate&theme=dark',
    );
    expect(state).toEqual({
      page: 'dashboard',
      range: '7d',
      start: null,
      end: null,
      filters: {
        service: 'checkout',
        node: 'node-1',
        endpoint: '/api/orders/{id}',
        method: 'GET',
        consumer: 'web-app',
        context: 'web',
      },
      log: true,
      sort: { field: 'error_rate', desc: true },
      theme: 'dark',
      explorer: { status: '', status_class: '', min_latency: '', sort: 'time' },
    });
  });

  it("reads the request explorer's keys on its page, where sort is the explorer's", () => {
    const state = parseUrlState(
      'page=requests&service=checkout&status=503&status_class=5xx&min_latency=250&sort=latency',
    );
    expect(state).toMatchObject({
      page: 'requests',
      filters: { service: 'checkout' },
      sort: { field: 'total_requests', desc: true },
      explorer: { status: '503', status_class: '5xx', min_latency: '250', sort: 'latency' },
    });
  });

  it("ignores the explorer's keys on the dashboard, and the table's sort on the explorer", () => {
    const dashboard = parseUrlState('status=503&status_class=5xx&min_latency=250&sort=latency');
    expect(dashboard.explorer).toEqual({ status: '', status_class: '', min_latency: '', sort: 'time' });
    expect(dashboard.sort).toEqual({ field: 'total_requests', desc: true });
    expect(parseUrlState('page=requests&sort=-error_rate').explorer.sort).toBe('time');
  });

  it('refuses explorer values the API would refuse', () => {
    const bad = parseUrlState('page=requests&status=42&status_class=6xx&min_latency=-5&sort=random');
    expect(bad.explorer).toEqual({ status: '', status_class: '', min_latency: '', sort: 'time' });
    expect(parseUrlState('page=requests&status=abc').explorer.status).toBe('');
    expect(parseUrlState('page=requests&min_latency=1.5').explorer.min_latency).toBe('');
    expect(parseUrlState('page=requests&min_latency=0250').explorer.min_latency).toBe('250');
    expect(parseUrlState('page=requests&status_class=error').explorer.status_class).toBe('error');
  });

  it('shows the dashboard for an unknown page', () => {
    expect(parseUrlState('page=settings').page).toBe('dashboard');
    expect(parseUrlState('page=').page).toBe('dashboard');
  });

  it('normalises custom bounds to UTC', () => {
    const state = parseUrlState('range=custom&start=2026-11-01T01:00:00%2B01:00&end=2026-11-02T00:00:00.000Z');
    expect(state).toMatchObject({ range: 'custom', start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' });
  });

  it('falls back to defaults for unknown or broken values', () => {
    expect(parseUrlState('range=2w').range).toBe('24h');
    expect(parseUrlState('range=custom&start=2026-11-02T00:00:00Z').range).toBe('24h');
    expect(parseUrlState('range=custom&start=2026-11-02T00:00:00Z&end=2026-11-01T00:00:00Z').range).toBe('24h');
    expect(parseUrlState('range=custom&start=yesterday&end=today').range).toBe('24h');
    expect(parseUrlState('sort=password').sort).toEqual({ field: 'total_requests', desc: true });
    expect(parseUrlState('theme=purple').theme).toBeNull();
    expect(parseUrlState('log=yes').log).toBe(false);
  });

  it('keeps strange filter values as plain strings', () => {
    const name = '<img src=x onerror=alert(1)>';
    const state = parseUrlState(`endpoint=${encodeURIComponent(name)}`);
    expect(state.filters.endpoint).toBe(name);
  });
});

describe('serializeUrlState', () => {
  it('leaves the defaults out so the plain URL stays plain', () => {
    expect(serializeUrlState(defaultState())).toBe('');
  });

  it('writes custom bounds only for a custom range', () => {
    const state = { ...defaultState(), range: '6h', start: '2026-11-01T00:00:00Z', end: '2026-11-02T00:00:00Z' };
    expect(serializeUrlState(state)).toBe('range=6h');
  });

  it('writes the page first and leaves the default page out', () => {
    expect(serializeUrlState({ ...defaultState(), page: 'dashboard' })).toBe('');
    expect(serializeUrlState({ ...defaultState(), page: 'requests', range: '1h' })).toBe('page=requests&range=1h');
  });

  it("writes the explorer's keys only on its page", () => {
    const explorer = { status: '404', status_class: '4xx', min_latency: '100', sort: 'latency' };
    expect(serializeUrlState({ ...defaultState(), explorer })).toBe('');
    expect(serializeUrlState({ ...defaultState(), page: 'requests', explorer })).toBe(
      'page=requests&status=404&status_class=4xx&min_latency=100&sort=latency',
    );
    const tableSort = { field: 'endpoint', desc: false };
    expect(serializeUrlState({ ...defaultState(), page: 'requests', sort: tableSort })).toBe('page=requests');
  });

  it('writes ascending sorts without a minus sign', () => {
    expect(serializeUrlState({ ...defaultState(), sort: { field: 'endpoint', desc: false } })).toBe('sort=endpoint');
  });

  it('round-trips every state through the URL', () => {
    const states = [
      defaultState(),
      { ...defaultState(), range: '1h' },
      { ...defaultState(), range: '1y', log: true, theme: 'light' },
      {
        ...defaultState(),
        range: 'custom',
        start: '2026-11-01T00:00:00Z',
        end: '2026-11-02T12:30:00Z',
        filters: {
          service: 'checkout & co',
          node: 'node 1',
          endpoint: '/api/orders/{id}?x=1#y',
          method: 'DELETE',
          consumer: 'web-app',
          context: 'ünïcødé',
        },
        sort: { field: 'p95_latency', desc: false },
      },
      {
        ...defaultState(),
        page: 'requests',
        range: 'custom',
        start: '2026-12-02T01:05:00Z',
        end: '2026-12-02T01:10:00Z',
        filters: { ...defaultState().filters, service: 'checkout', endpoint: '/api/orders' },
        explorer: { status: '503', status_class: 'error', min_latency: '1000', sort: 'latency' },
      },
      {
        ...defaultState(),
        page: 'requests',
        explorer: { status: '', status_class: '', min_latency: '', sort: 'time' },
      },
    ];
    for (const state of states) {
      const query = serializeUrlState(state);
      expect(parseUrlState(query)).toEqual(state);
      expect(serializeUrlState(parseUrlState(`?${query}`))).toBe(query);
    }
  });
});

describe('filterParams', () => {
  it('sends only the filters that are set', () => {
    expect(filterParams({ service: 'checkout', node: '', endpoint: '/x' })).toEqual({
      service: 'checkout',
      endpoint: '/x',
    });
  });
});
