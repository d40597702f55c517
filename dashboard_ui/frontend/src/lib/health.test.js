import { describe, expect, it } from 'vitest';
import { groupStatusDistribution, healthStatus, statusClass } from './health.js';

const thresholds = {
  error_rate_warning: 5,
  error_rate_critical: 10,
  latency_warning_ms: 500,
  latency_critical_ms: 1000,
};

describe('healthStatus', () => {
  it('is healthy below every threshold', () => {
    expect(healthStatus({ count: 10, errorRate: 1, avgLatency: 100 }, thresholds)).toBe('healthy');
  });
  it('takes the worse of error rate and latency', () => {
    expect(healthStatus({ count: 10, errorRate: 5, avgLatency: 100 }, thresholds)).toBe('warning');
    expect(healthStatus({ count: 10, errorRate: 1, avgLatency: 1000 }, thresholds)).toBe('critical');
    expect(healthStatus({ count: 10, errorRate: 12, avgLatency: 600 }, thresholds)).toBe('critical');
  });
  it('has no status without requests', () => {
    expect(healthStatus({ count: 0, errorRate: null, avgLatency: null }, thresholds)).toBeNull();
  });
  it('falls back to default thresholds', () => {
    expect(healthStatus({ count: 1, errorRate: 6, avgLatency: 1 }, null)).toBe('warning');
  });
});

describe('status classes', () => {
  it('groups codes by hundreds', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(304)).toBe('3xx');
    expect(statusClass(404)).toBe('4xx');
    expect(statusClass(503)).toBe('5xx');
    expect(statusClass(101)).toBe('other');
  });

  it('groups the distribution per service, biggest first', () => {
    const groups = groupStatusDistribution([
      { service: 'auth', status: 200, count: 5 },
      { service: 'checkout', status: 500, count: 2 },
      { service: 'checkout', status: 200, count: 90 },
      { service: 'checkout', status: 404, count: 8 },
    ]);
    expect(groups.map((g) => g.service)).toEqual(['checkout', 'auth']);
    expect(groups[0].total).toBe(100);
    expect(groups[0].classes).toMatchObject({ '2xx': 90, '4xx': 8, '5xx': 2, '3xx': 0 });
    expect(groups[0].codes).toEqual([
      { status: 200, count: 90 },
      { status: 404, count: 8 },
      { status: 500, count: 2 },
    ]);
  });
});
