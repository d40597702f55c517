import { describe, expect, it } from 'vitest';
import {
  ADMIN_ONLY,
  alertKey,
  alertsErrorText,
  canEditTenant,
  channelFormToBody,
  channelToForm,
  describeCondition,
  describeScope,
  emptyChannelForm,
  emptyRuleForm,
  firingOnly,
  formatMetricValue,
  isMuted,
  ruleFormToBody,
  ruleToForm,
  sortFiring,
  spansToAreas,
  validateChannelForm,
  validateRuleForm,
} from './alerts.js';
import { ApiError } from './api.js';
import { parseUrlState, serializeUrlState } from './urlState.js';

const RULE = {
  id: 7,
  tenant: 'Demo',
  name: '5xx on checkout',
  metric: 'server_error_rate',
  service: 'checkout',
  endpoint: '/orders/{id}',
  method: 'GET',
  consumer: null,
  node: 'n1',
  window_minutes: 1,
  threshold: 10,
  for_minutes: 0,
  min_requests: 1,
  severity: 'critical',
  channels: [3],
  enabled: true,
  muted_until: null,
  mute_reason: null,
  state: 'firing',
  state_since: '2026-12-02T01:00:00Z',
  last_value: 50,
};

describe('describing a rule', () => {
  it('names its scope, narrowest parts after the service', () => {
    expect(describeScope(RULE)).toBe('checkout · GET /orders/{id} · node n1');
    expect(describeScope({ service: null })).toBe('All services');
    expect(describeScope({ service: 'a\u200Bb', consumer: 'web' })).toBe('a⟨U+200B⟩b · consumer web');
  });

  it('states its condition with the threshold in the metric’s unit', () => {
    expect(describeCondition(RULE)).toBe('5xx rate above 10% over 1 min, at least 1 request');
    expect(
      describeCondition({ ...RULE, metric: 'p95_latency', threshold: 1500, for_minutes: 5, min_requests: 0 }),
    ).toBe('p95 latency above 1.5 s over 1 min, for 5 min');
    expect(describeCondition({ ...RULE, metric: 'silence', window_minutes: 10 })).toBe('No request for 10 min');
  });

  it('formats values per metric', () => {
    expect(formatMetricValue('error_rate', 12.345)).toBe('12.3%');
    expect(formatMetricValue('p99_latency', 840)).toBe('840 ms');
    expect(formatMetricValue('request_rate_below', 3)).toBe('3 req/min');
    expect(formatMetricValue('apdex_below', 0.875)).toBe('0.88');
    expect(formatMetricValue('error_rate', null)).toBe('–');
  });

  it('is muted only until its time', () => {
    const now = new Date('2026-12-02T01:00:00Z');
    expect(isMuted({ muted_until: '2026-12-02T02:00:00Z' }, now)).toBe(true);
    expect(isMuted({ muted_until: '2026-12-02T00:59:00Z' }, now)).toBe(false);
    expect(isMuted({ muted_until: null }, now)).toBe(false);
  });
});

describe('the rule form', () => {
  it('round-trips a rule into the body the API takes, every field of the contract', () => {
    // What the server computes (id, state, last value) or sets through mute/unmute is never sent.
    const { id, muted_until, mute_reason, state, state_since, last_value, ...writable } = RULE;
    expect(ruleFormToBody(ruleToForm(RULE))).toEqual(writable);
  });

  it('sends "any" as null and leaves the tenant out when there is no choice', () => {
    const body = ruleFormToBody({ ...emptyRuleForm(), name: ' Slow ', threshold: '2.5' });
    expect(body).toMatchObject({ name: 'Slow', service: null, endpoint: null, node: null, threshold: 2.5 });
    expect(body).not.toHaveProperty('tenant');
  });

  it('gives silence a zero threshold: its window is the silent time', () => {
    expect(ruleFormToBody({ ...emptyRuleForm(), name: 'dead', metric: 'silence', threshold: '' }).threshold).toBe(0);
    expect(validateRuleForm({ ...emptyRuleForm(), name: 'dead', metric: 'silence', threshold: '' })).toEqual({});
  });

  it('refuses what the API would refuse', () => {
    const form = {
      ...emptyRuleForm(),
      name: ' ',
      window_minutes: '61',
      threshold: 'x',
      for_minutes: '-1',
      min_requests: '1.5',
    };
    expect(Object.keys(validateRuleForm(form)).sort()).toEqual([
      'for_minutes',
      'min_requests',
      'name',
      'threshold',
      'window_minutes',
    ]);
    expect(validateRuleForm({ ...emptyRuleForm(), name: 'a', metric: 'apdex_below', threshold: '1.2' })).toEqual({
      threshold: 'Apdex is between 0 and 1.',
    });
    expect(validateRuleForm({ ...emptyRuleForm(), name: 'a', window_minutes: '0' })).toHaveProperty('window_minutes');
    expect(validateRuleForm({ ...emptyRuleForm(), name: 'ok' })).toEqual({});
  });
});

describe('the channel form', () => {
  it('sends the secret only when one was typed', () => {
    const form = channelToForm({ id: 1, name: 'ops', kind: 'webhook', target: 'https://x/y', has_secret: true });
    expect(form.secret).toBe('');
    expect(channelFormToBody(form)).toEqual({ name: 'ops', kind: 'webhook', target: 'https://x/y' });
    expect(channelFormToBody({ ...form, secret: 's3cret' })).toHaveProperty('secret', 's3cret');
  });

  it('checks the target for its kind', () => {
    const email = { ...emptyChannelForm(), name: 'mail', kind: 'email' };
    expect(validateChannelForm({ ...email, target: 'a@example.com, b@example.org' })).toEqual({});
    expect(validateChannelForm({ ...email, target: 'a@example.com, nobody' }).target).toMatch(/nobody/);
    const hook = { ...emptyChannelForm(), name: 'hook', kind: 'webhook' };
    expect(validateChannelForm({ ...hook, target: 'ftp://x' }).target).toMatch(/URL/);
    expect(validateChannelForm({ ...hook, target: 'http://127.0.0.1:9000/hook' })).toEqual({});
    expect(validateChannelForm({ ...hook, name: '', target: '' })).toHaveProperty('name');
  });
});

describe('spansToAreas', () => {
  const minute = 60_000;
  const t0 = Date.parse('2026-12-02T01:00:00Z');
  const buckets = Array.from({ length: 10 }, (_, i) => t0 + i * minute);
  const at = (m) => new Date(t0 + m * minute).toISOString();

  it('snaps a span to the buckets it touches', () => {
    const [area] = spansToAreas([{ rule: 1, name: 'r', severity: 'critical', start: at(2.5), end: at(5.2) }], buckets);
    expect([area.x1, area.x2]).toEqual([buckets[2], buckets[5]]);
    expect(area).toMatchObject({ rule: 1, name: 'r', severity: 'critical' });
  });

  it('clips to the visible range and runs an open span until now', () => {
    const areas = spansToAreas(
      [
        { rule: 1, start: at(-30), end: at(3) },
        { rule: 2, start: at(6), end: null },
      ],
      buckets,
      new Date(t0 + 30 * minute),
    );
    expect(areas.map((a) => [a.x1, a.x2])).toEqual([
      [buckets[0], buckets[3]],
      [buckets[6], buckets[9]],
    ]);
  });

  it('leaves out spans outside the buckets', () => {
    const spans = [
      { rule: 1, start: at(-30), end: at(-5) },
      { rule: 2, start: at(11), end: at(12) },
    ];
    expect(spansToAreas(spans, buckets)).toEqual([]);
    expect(spansToAreas(spans, [])).toEqual([]);
  });

  it('widens a span inside one bucket so it stays visible', () => {
    const [inside, last] = spansToAreas(
      [
        { rule: 1, start: at(4.1), end: at(4.6) },
        { rule: 2, start: at(9.2), end: at(9.5) },
      ],
      buckets,
    );
    expect([inside.x1, inside.x2]).toEqual([buckets[4], buckets[5]]);
    expect([last.x1, last.x2]).toEqual([buckets[8], buckets[9]]);
  });
});

describe('firing alerts and permissions', () => {
  it('lists firing before pending, then the worst and the oldest first', () => {
    const alerts = [
      { rule: 1, state: 'firing', severity: 'warning', since: '2026-12-02T01:00:00Z' },
      { rule: 2, state: 'firing', severity: 'critical', since: '2026-12-02T01:05:00Z' },
      { rule: 3, state: 'firing', severity: 'critical', since: '2026-12-02T01:01:00Z' },
      { rule: 4, state: 'firing', severity: 'info', since: '2026-12-02T00:00:00Z' },
      { rule: 5, state: 'pending', severity: 'critical', since: '2026-12-02T00:00:00Z' },
    ];
    expect(sortFiring(alerts).map((a) => a.rule)).toEqual([3, 2, 1, 4, 5]);
    expect(firingOnly(alerts).map((a) => a.rule)).toEqual([3, 2, 1, 4]);
  });

  it('tells apart the alerts of one rule by service and node', () => {
    expect(alertKey({ rule: 1, service: 'checkout', node: null })).toBe('1/checkout/');
    expect(alertKey({ rule: 1, service: 'checkout', node: 'n1' })).not.toBe(alertKey({ rule: 1, service: 'checkout' }));
  });

  it('knows a tenant admin only when the server tells the roles', () => {
    const user = { roles: { Demo: 'admin', Other: 'viewer' } };
    expect(canEditTenant(user, 'Demo')).toBe(true);
    expect(canEditTenant(user, 'Other')).toBe(false);
    expect(canEditTenant(user)).toBe(true);
    expect(canEditTenant({ roles: { Other: 'viewer' } })).toBe(false);
    expect(canEditTenant({ tenants: ['Demo'] }, 'Demo')).toBe(null);
  });

  it('explains a 403 as the admin role, and other errors as they came', () => {
    expect(alertsErrorText(new ApiError(403, 'x', { detail: 'You are not an admin of Demo.' }))).toBe(
      `${ADMIN_ONLY} (You are not an admin of Demo.)`,
    );
    expect(alertsErrorText(new ApiError(403, 'x', { detail: 'CSRF Failed: token missing.' }))).toBe(ADMIN_ONLY);
    expect(alertsErrorText(new ApiError(422, 'threshold: too big'))).toBe('threshold: too big');
  });
});

describe('the Alerts page in the URL', () => {
  it('is page=alerts, and keeps the range and filters for the way back', () => {
    const state = parseUrlState('?page=alerts&range=7d&service=checkout');
    expect(state).toMatchObject({ page: 'alerts', range: '7d', filters: { service: 'checkout' } });
    expect(serializeUrlState(state)).toBe('page=alerts&range=7d&service=checkout');
  });
});
